public import Foundation

/// A link a payload cut to its webhook's `max_payload_bytes` hands out
/// instead of bytes (docs/DELIVERY.md, "Payloads sized to the receiver"):
/// `GET /api/v1/attachments/{token}` or `GET /api/v1/messages/{token}/raw`,
/// no Authorization. Only the SHA-256 of the token is stored, as for API
/// tokens, so a copy of the store hands out no working link.
///
/// It keeps what the GET answers with — the part's media type, file name,
/// size, and where its encoded bytes lie in the spooled message — so a GET
/// streams the part without parsing the message again.
public struct PayloadLink: Codable, Sendable, Equatable {
    /// The token's prefix: `cdl_` + 43 base64url characters (32 random bytes).
    public static let tokenPrefix = "cdl_"
    /// `part` of a link to the raw message.
    public static let rawMessage = -1

    /// Lower-case hex SHA-256 of the token (`SecretToken.hash`): the key.
    public var id: String
    /// The spooled message the link reads; the link goes when the message does.
    public var messageID: String
    /// What the link serves: an attachment's index in the payload's
    /// `attachments` (depth first, as the parser lists them), or
    /// `rawMessage` for the whole message.
    public var part: Int
    /// The message's size when the link was made: a body of another size is not the one linked.
    public var messageSize: Int
    /// The part's `type/subtype` (`message/rfc822` for the raw message).
    public var contentType: String
    /// The attachment's file name, if it has one.
    public var filename: String?
    /// Bytes the GET answers (decoded).
    public var size: Int
    /// Where the part's encoded bytes are in the message (the whole message for `rawMessage`).
    public var contentStart: Int
    public var contentEnd: Int
    /// Their Content-Transfer-Encoding: `base64`, `quoted-printable`, or `""` (as they are).
    public var transferEncoding: String
    public var createdAt: Date

    public init(
        id: String, messageID: String, part: Int, messageSize: Int, contentType: String, filename: String?, size: Int,
        contentStart: Int, contentEnd: Int, transferEncoding: String, createdAt: Date
    ) {
        self.id = id
        self.messageID = messageID
        self.part = part
        self.messageSize = messageSize
        self.contentType = contentType
        self.filename = filename
        self.size = size
        self.contentStart = contentStart
        self.contentEnd = contentEnd
        self.transferEncoding = transferEncoding
        self.createdAt = createdAt
    }

    /// A link to the whole message of `messageSize` bytes.
    public static func rawMessage(id: String, messageID: String, messageSize: Int, createdAt: Date) -> PayloadLink {
        PayloadLink(id: id, messageID: messageID, part: rawMessage, messageSize: messageSize, contentType: "message/rfc822",
                    filename: nil, size: messageSize, contentStart: 0, contentEnd: messageSize, transferEncoding: "", createdAt: createdAt)
    }
}
