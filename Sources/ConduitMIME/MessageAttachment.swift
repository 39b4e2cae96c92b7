/// A leaf part that is not one of the two bodies: its metadata and the
/// content with the transfer encoding removed (no charset conversion).
public struct MessageAttachment: Sendable, Equatable {
    /// `filename` of Content-Disposition, else `name` of Content-Type (RFC 2231/2047 decoded).
    public var filename: String?
    /// `type/subtype`, lower case.
    public var contentType: String
    /// Content-ID as written (angle brackets kept), or `nil`.
    public var contentID: String?
    /// `attachment`, `inline`, … (lower case), or `nil` without Content-Disposition.
    public var disposition: String?
    /// The decoded content.
    public var content: [UInt8]

    /// Decoded size in bytes.
    public var size: Int { content.count }

    /// An attachment.
    public init(filename: String?, contentType: String, contentID: String?, disposition: String?, content: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.contentID = contentID
        self.disposition = disposition
        self.content = content
    }
}
