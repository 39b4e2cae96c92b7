/// A leaf part that is not one of the two bodies: its metadata and the
/// content with the transfer encoding removed (no charset conversion) —
/// decoded into `content`, or, parsed `byReference`, left in the message
/// at `source` to be decoded as it is read.
public struct MessageAttachment: Sendable, Equatable {
    /// `filename` of Content-Disposition, else `name` of Content-Type (RFC 2231/2047 decoded).
    public var filename: String?
    /// `type/subtype`, lower case.
    public var contentType: String
    /// Content-ID as written (angle brackets kept), or `nil`.
    public var contentID: String?
    /// `attachment`, `inline`, … (lower case), or `nil` without Content-Disposition.
    public var disposition: String?
    /// The decoded content; empty when parsed `byReference`.
    public var content: [UInt8]
    /// Where the encoded content is in the message, when parsed `byReference`.
    public var source: AttachmentSource?
    /// Decoded size in bytes.
    public var size: Int

    /// An attachment.
    public init(filename: String?, contentType: String, contentID: String?, disposition: String?, content: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.contentID = contentID
        self.disposition = disposition
        self.content = content
        self.size = content.count
    }
}
