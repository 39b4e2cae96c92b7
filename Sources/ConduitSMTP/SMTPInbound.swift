public import NIOCore

/// What the line decoder hands to a session. The decoder knows nothing of
/// SMTP state: the session decides whether a line is a command or message
/// text, so the same framing serves both and a mode switch needs no
/// coordination with the pipeline.
public enum SMTPInbound: Equatable, Sendable {
    /// One line without its CRLF, at most `maxLineLength` bytes.
    case line(ByteBuffer)
    /// The next `maxLineLength` bytes of a line longer than that limit. More
    /// fragments may follow; the line's remainder arrives as a `.line`.
    /// Command mode rejects such a line; DATA mode keeps the bytes.
    case fragment(ByteBuffer)

    /// A line from its text (tests, transcripts).
    public static func line(_ text: String) -> SMTPInbound { .line(ByteBuffer(string: text)) }
    /// A line from raw bytes (tests, transcripts).
    public static func line(bytes: [UInt8]) -> SMTPInbound { .line(ByteBuffer(bytes: bytes)) }
}
