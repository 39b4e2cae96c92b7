import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import ConduitSMTP

@Suite struct SMTPLineDecoderTests {
    static func line(_ s: String) -> SMTPInbound { .line(Array(s.utf8)) }

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
            ],
            decoderFactory: { SMTPLineDecoder(maxLineLength: 64) }
        )
    }

    @Test func overlongLinesAreReportedOnceAndDiscarded() throws {
        let long = String(repeating: "x", count: 100)
        try ByteToMessageDecoderVerifier.verifyDecoder(
            inputOutputPairs: [
                (ByteBuffer(string: long + "\r\nNOOP\r\n"), [.lineTooLong, Self.line("NOOP")]),
                (ByteBuffer(string: String(repeating: "y", count: 65) + "\r\n"), [.lineTooLong]),
                (ByteBuffer(string: String(repeating: "z", count: 64) + "\r\n"), [Self.line(String(repeating: "z", count: 64))]),
            ],
            decoderFactory: { SMTPLineDecoder(maxLineLength: 64) }
        )
    }

    @Test func overlongLineIsNotBufferedWhileItArrives() throws {
        var decoder = SMTPLineDecoder(maxLineLength: 16)
        var buffer = ByteBuffer()
        var messages: [SMTPInbound] = []
        for _ in 0..<1000 {
            buffer.writeString(String(repeating: "a", count: 100))
            while let m = decoder.nextMessage(&buffer) { messages.append(m) }
            // Memory stays bounded no matter how long the line grows.
            #expect(buffer.readableBytes <= 17)
        }
        buffer.writeString("\r\nQUIT\r\n")
        while let m = decoder.nextMessage(&buffer) { messages.append(m) }
        #expect(messages == [.lineTooLong, Self.line("QUIT")])
    }

    @Test func crlfSplitAcrossReadsAfterDiscardingIsFound() throws {
        var decoder = SMTPLineDecoder(maxLineLength: 4)
        var buffer = ByteBuffer(string: "0123456789\r")
        #expect(decoder.nextMessage(&buffer) == .lineTooLong)
        #expect(decoder.nextMessage(&buffer) == nil)
        buffer.writeString("\nNOOP\r\n")
        #expect(decoder.nextMessage(&buffer) == Self.line("NOOP"))
    }

    @Test func unterminatedInputAtEOFIsDropped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPLineDecoder()))
        try channel.writeInbound(ByteBuffer(string: "NOOP\r\nQUI"))
        #expect(try channel.readInbound(as: SMTPInbound.self) == Self.line("NOOP"))
        _ = try channel.finish()
        #expect(try channel.readInbound(as: SMTPInbound.self) == nil)
    }
}
