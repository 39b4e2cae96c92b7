public import NIOCore

/// Frames SMTP input into lines. Unlike NIO's `LineBasedFrameDecoder` it ends
/// a line only at CRLF — a bare LF or CR stays inside the line, where the
/// session rejects it — and it caps line length: RFC 5321 §4.5.3.1.4 allows
/// 512 octets for a command line, extensions add some, and a client sending a
/// longer one gets one `lineTooLong` and the rest of that line is dropped
/// without being buffered.
public struct SMTPLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = SMTPInbound

    /// Longest accepted line, excluding CRLF.
    public let maxLineLength: Int
    private var discarding = false
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

    /// The framing itself, free of channel plumbing so it can be tested directly.
    mutating func nextMessage(_ buffer: inout ByteBuffer) -> SMTPInbound? {
        while true {
            let view = buffer.readableBytesView
            guard let crlf = Self.findCRLF(in: view, from: max(scanned - 1, 0)) else {
                if buffer.readableBytes > maxLineLength + 1 {
                    // Too long already; forget what we have (keep a trailing CR,
                    // it may be the start of the CRLF) and report once.
                    let keep = view.last == UInt8(ascii: "\r") ? 1 : 0
                    buffer.moveReaderIndex(forwardBy: buffer.readableBytes - keep)
                    scanned = keep
                    if !discarding {
                        discarding = true
                        return .lineTooLong
                    }
                } else {
                    scanned = buffer.readableBytes
                }
                return nil
            }
            let length = crlf - view.startIndex
            let line = buffer.readBytes(length: length) ?? []
            buffer.moveReaderIndex(forwardBy: 2)
            scanned = 0
            if discarding {
                // The tail of an over-long line: already reported.
                discarding = false
                continue
            }
            if length > maxLineLength { return .lineTooLong }
            return .line(line)
        }
    }

    private static func findCRLF(in view: ByteBufferView, from offset: Int) -> Int? {
        var index = view.startIndex + offset
        while index < view.endIndex - 1 {
            if view[index] == UInt8(ascii: "\r"), view[index + 1] == UInt8(ascii: "\n") { return index }
            index += 1
        }
        return nil
    }
}
