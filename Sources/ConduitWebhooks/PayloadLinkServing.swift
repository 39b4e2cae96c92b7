/// What a payload link serves (docs/DELIVERY.md, "Payloads sized to the
/// receiver"): an attachment's decoded bytes or the raw message, a chunk at
/// a time.
public struct LinkedContent: Sendable {
    /// Which route asked: the same token is never valid on both.
    public enum Kind: Sendable {
        case attachment
        case rawMessage
    }

    /// The content as chunks: `next` answers `nil` after the last chunk.
    /// Each call reads the store off the cooperative pool.
    public struct Chunks: Sendable {
        public let next: @Sendable () async throws -> [UInt8]?

        public init(_ next: @escaping @Sendable () async throws -> [UInt8]?) {
            self.next = next
        }
    }

    /// `type/subtype` (an attachment's as the payload says it; `message/rfc822` for the raw message).
    public var contentType: String
    /// The attachment's file name, if it has one.
    public var filename: String?
    /// Bytes in all (`Content-Length`).
    public var length: Int
    public var chunks: Chunks

    public init(contentType: String, filename: String?, length: Int, chunks: Chunks) {
        self.contentType = contentType
        self.filename = filename
        self.length = length
        self.chunks = chunks
    }
}

/// The seam the API's link routes call; delivery, which mints the links and
/// can read a spooled message's parts, implements it.
public protocol PayloadLinkServing: Sendable {
    /// The content behind `token`, or `nil` for a malformed, unknown or
    /// expired token, a token of the other kind, or a message gone from the
    /// spool: all the same 404.
    func open(token: String, kind: LinkedContent.Kind) async throws -> LinkedContent?
}
