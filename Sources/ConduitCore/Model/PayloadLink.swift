public import Foundation

/// A link a payload cut to its webhook's `max_payload_bytes` hands out
/// instead of bytes (docs/DELIVERY.md, "Payloads sized to the receiver"):
/// `GET /api/v1/attachments/{token}` or `GET /api/v1/messages/{token}/raw`,
/// no Authorization. Only the SHA-256 of the token is stored, as for API
/// tokens, so a copy of the store hands out no working link.
public struct PayloadLink: Codable, Sendable, Equatable {
    /// The token's prefix: `cdl_` + 43 base64url characters (32 random bytes).
    public static let tokenPrefix = "cdl_"

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
    public var createdAt: Date

    /// `part` of a link to the raw message.
    public static let rawMessage = -1

    public init(id: String, messageID: String, part: Int, messageSize: Int, createdAt: Date) {
        self.id = id
        self.messageID = messageID
        self.part = part
        self.messageSize = messageSize
        self.createdAt = createdAt
    }
}
