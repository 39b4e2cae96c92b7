/// Bounds on what one message may make the parser do. Past a bound the
/// parser stops descending or reading, records a defect, and carries on:
/// it never fails, and its memory stays proportional to the input.
public struct MIMELimits: Sendable, Equatable {
    /// Multipart / message nesting levels descended into (the top level is 0).
    public var maxDepth: Int
    /// Entities (parts at every level) parsed per message.
    public var maxParts: Int
    /// Bytes of one header block; the rest of an over-long block is skipped.
    public var maxHeaderBytes: Int
    /// Header fields kept per header block.
    public var maxHeaderCount: Int

    /// Limits.
    public init(maxDepth: Int, maxParts: Int, maxHeaderBytes: Int, maxHeaderCount: Int) {
        self.maxDepth = maxDepth
        self.maxParts = maxParts
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }

    /// 20 levels, 1000 parts, 256 KiB and 1000 fields per header block.
    public static let `default` = MIMELimits(maxDepth: 20, maxParts: 1000, maxHeaderBytes: 256 * 1024, maxHeaderCount: 1000)
}
