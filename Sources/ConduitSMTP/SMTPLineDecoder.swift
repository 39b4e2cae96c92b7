public import NIOCore

/// Frames SMTP input into lines. Unlike NIO's `LineBasedFrameDecoder` it ends
/// a line only at CRLF — a bare LF or CR stays inside the line, where the
/// command parser rejects it and DATA keeps it as text, so `<LF>.<LF>` can
/// never end a message (SMTP smuggling).
///
/// Memory stays bounded: a line longer than `maxLineLength` is handed on in
/// `.fragment`s of exactly `maxLineLength` bytes, its tail as a `.line`. The
/// split points depend only on the input, never on how the bytes arrived, so
/// the same input always gives the same frames.
public struct SMTPLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = SMTPInbound

    /// Longest line handed on whole, excluding CRLF.
    public let maxLineLength: Int
    /// Where the CRLF search resumes, so a slow client does not make us rescan.
    private var scanned = 0

    public init(maxLineLength: Int = 1000) {
        precondition(maxLineLength > 0)
        self.maxLineLength = maxLineLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let message = nextMessage(&buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(message))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // An unterminated trailing line at EOF is not a command: drop it.
        while let message = nextMessage(&buffer) {
            context.fireChannelRead(Self.wrapInboundOut(message))
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    /// The framing itself, free of channel plumbing: the server handler calls
    /// it on its own buffer (so STARTTLS can discard what is left).
    public mutating func nextMessage(_ buffer: inout ByteBuffer) -> SMTPInbound? {
        let view = buffer.readableBytesView
        // A CRLF starting at offset ≤ maxLineLength ends a line short enough.
        let searchEnd = min(view.count, maxLineLength + 2)
        if let crlf = Self.findCRLF(in: view, from: max(scanned - 1, 0), to: searchEnd) {
            let line = buffer.readSlice(length: crlf)!
            buffer.moveReaderIndex(forwardBy: 2)
            scanned = 0
            return .line(line)
        }
        if view.count >= maxLineLength + 2 {
            // No CRLF at any offset ≤ maxLineLength: the line is too long.
            // Hand on its first maxLineLength bytes; the rest is rescanned.
            scanned = 0
            return .fragment(buffer.readSlice(length: maxLineLength)!)
        }
        scanned = view.count
        return nil
    }

    /// Offset (from the view's start) of the first CRLF whose CR is at an
    /// offset in `from..<to-1`.
    private static func findCRLF(in view: ByteBufferView, from: Int, to end: Int) -> Int? {
        var offset = from
        while offset < end - 1 {
            let index = view.startIndex + offset
            if view[index] == UInt8(ascii: "\r"), view[index + 1] == UInt8(ascii: "\n") { return offset }
            offset += 1
        }
        return nil
    }
}
