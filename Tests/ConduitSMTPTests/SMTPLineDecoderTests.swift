import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import ConduitSMTP

@Suite struct SMTPLineDecoderTests {
    static func line(_ s: String) -> SMTPInbound { .line(s) }
    static func fragment(_ s: String) -> SMTPInbound { .fragment(ByteBuffer(string: s)) }

    /// NIO's verifier feeds the input whole, byte by byte and in random
    /// chunks, and checks the same messages come out every time.
    @Test func framesCRLFLinesHoweverTheBytesArrive() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (ByteBuffer(string: "EHLO a\r\n"), [Self.line("EHLO a")]),
                (ByteBuffer(string: "NOOP\r\nQUIT\r\n"), [Self.line("NOOP"), Self.line("QUIT")]),
                (ByteBuffer(string: "\r\n"), [Self.line("")]),
                // A bare LF or CR does not end a line; it stays in it.
                (ByteBuffer(string: "MAIL FROM:<a>\nRCPT TO:<b>\r\n"), [Self.line("MAIL FROM:<a>\nRCPT TO:<b>")]),
                (ByteBuffer(string: "A\rB\r\n"), [Self.line("A\rB")]),
                // The smuggling shapes: none of them ends at the bare LF.
                (ByteBuffer(string: "x\n.\nMAIL FROM:<e>\r\n"), [Self.line("x\n.\nMAIL FROM:<e>")]),
                (ByteBuffer(string: "x\r\n.\nRSET\r\n"), [Self.line("x"), Self.line(".\nRSET")]),
            ],
            decoderFactory: { SMTPLineDecoder(maxLineLength: 64) }
        )
    }

    /// Long lines come out in fixed pieces: the split does not depend on
    /// how the bytes arrived, which the verifier checks.
    @Test func overlongLinesAreSplitIntoFixedFragments() throws {
        let x = String(repeating: "x", count: 10)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (ByteBuffer(string: x + "abc\r\nNOOP\r\n"), [Self.fragment(x), Self.line("abc"), Self.line("NOOP")]),
                (ByteBuffer(string: x + x + "\r\n"), [Self.fragment(x), Self.line(x)]),
                (ByteBuffer(string: x + "y\r\n"), [Self.fragment(x), Self.line("y")]),
                (ByteBuffer(string: x + "\r\n"), [Self.line(x)]),
                // The CR of the CRLF right at the limit.
                (ByteBuffer(string: String(repeating: "z", count: 9) + "\r\r\n"), [Self.line(String(repeating: "z", count: 9) + "\r")]),
            ],
            decoderFactory: { SMTPLineDecoder(maxLineLength: 10) }
        )
    }

    @Test func overlongLineIsNotBufferedWhileItArrives() throws {
        var decoder = SMTPLineDecoder(maxLineLength: 16)
        var buffer = ByteBuffer()
        var fragmentBytes = 0
        var messages: [SMTPInbound] = []
        for _ in 0..<1000 {
            buffer.writeString(String(repeating: "a", count: 100))
            while let m = decoder.nextMessage(&buffer) {
                if case let .fragment(bytes) = m { fragmentBytes += bytes.readableBytes } else { messages.append(m) }
            }
            // Memory stays bounded no matter how long the line grows.
            #expect(buffer.readableBytes <= 17)
        }
        buffer.writeString("\r\nQUIT\r\n")
        while let m = decoder.nextMessage(&buffer) {
            if case let .fragment(bytes) = m { fragmentBytes += bytes.readableBytes } else { messages.append(m) }
        }
        // Nothing is lost: DATA needs every byte of a long line.
        guard case let .line(tail) = messages.first else { Issue.record("no tail line"); return }
        #expect(fragmentBytes + tail.readableBytes == 100_000)
        #expect(messages.last == Self.line("QUIT"))
    }

    @Test func unterminatedInputAtEOFIsDropped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPLineDecoder()))
        try channel.writeInbound(ByteBuffer(string: "NOOP\r\nQUI"))
        #expect(try channel.readInbound(as: SMTPInbound.self) == Self.line("NOOP"))
        _ = try channel.finish()
        #expect(try channel.readInbound(as: SMTPInbound.self) == nil)
    }
}
