import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import ConduitSMTP

/// How the driver takes the backend's two kinds of answer: a reply decided
/// during the call is written in the same event-loop turn (no task, no
/// hop), a pending one holds input until its future completes.
@Suite struct SMTPBackendAnswerTests {
    static func channel(_ backend: SMTPServerHandlerTests.RecordingBackend) throws -> EmbeddedChannel {
        let settings = SMTPSession.Settings(hostname: "mx.test", maxMessageBytes: 10_000, makeID: { "Q1" })
        let handler = SMTPServerHandler(
            session: SMTPSession(settings: settings, connection: SMTPConnectionInfo(remoteIP: "192.0.2.1", remotePort: 1)),
            backend: backend, tls: nil, maxLineLength: 100, logger: Logger(label: "test")
        )
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 1)).wait()
        return channel
    }

    /// Everything written so far, split into lines.
    static func written(_ channel: EmbeddedChannel) throws -> [String] {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text.split(separator: "\r\n").map(String.init)
    }

    @Test func repliesDecidedAtOnceLeaveInTheSameTurn() throws {
        let backend = SMTPServerHandlerTests.RecordingBackend()
        let channel = try Self.channel(backend)
        #expect(try Self.written(channel) == ["220 mx.test ESMTP Conduit ready"])
        // One write, nothing run afterwards: no task, no scheduled work.
        try channel.writeInbound(ByteBuffer(string: "HELO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<nobody@x.test>\r\nRCPT TO:<hook@x.test>\r\nDATA\r\n"))
        #expect(try Self.written(channel) == [
            "250 mx.test greets c.example", "250 2.1.0 Sender OK", "550 5.1.1 No such mailbox", "250 2.1.5 Recipient OK",
            "354 End data with <CR><LF>.<CR><LF>",
        ])
        #expect(backend.calls.withLock { $0 } == ["mail a@example.org helo=c.example", "rcpt nobody@x.test", "rcpt hook@x.test"])
        try channel.writeInbound(ByteBuffer(string: "Subject: x\r\n\r\nHello.\r\n.\r\n"))
        #expect(try Self.written(channel) == ["250 2.0.0 OK queued as Q1"])
        _ = try channel.finish(acceptAlreadyClosed: true)
        #expect(backend.calls.withLock { $0 }.last == "close")
    }

    @Test func aPendingAnswerHoldsInputUntilItCompletes() throws {
        let loop = EmbeddedEventLoop()
        let promise = Mutex<EventLoopPromise<SMTPReply>?>(nil)
        let backend = SMTPServerHandlerTests.RecordingBackend(mailAnswer: {
            let made = loop.makePromise(of: SMTPReply.self)
            promise.withLock { $0 = made }
            return .pending(made.futureResult)
        })
        let channel = try Self.channel(backend)
        _ = try Self.written(channel)
        try channel.writeInbound(ByteBuffer(string: "HELO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hook@x.test>\r\n"))
        // The HELO reply is flushed before the wait; RCPT is not read yet.
        #expect(try Self.written(channel) == ["250 mx.test greets c.example"])
        #expect(backend.calls.withLock { $0 } == ["mail a@example.org helo=c.example"])

        try #require(promise.withLock { $0 }).succeed(SMTPReply(250, "2.1.0", "Sender OK"))
        #expect(try Self.written(channel) == ["250 2.1.0 Sender OK", "250 2.1.5 Recipient OK"])
        #expect(backend.calls.withLock { $0 } == ["mail a@example.org helo=c.example", "rcpt hook@x.test"])
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    @Test func aFailedPendingAnswerIsATemporaryFailure() throws {
        struct Broken: Error {}
        let loop = EmbeddedEventLoop()
        let backend = SMTPServerHandlerTests.RecordingBackend(mailAnswer: { .pending(loop.makeFailedFuture(Broken())) })
        let channel = try Self.channel(backend)
        _ = try Self.written(channel)
        try channel.writeInbound(ByteBuffer(string: "HELO c.example\r\nMAIL FROM:<a@example.org>\r\n"))
        #expect(try Self.written(channel) == ["250 mx.test greets c.example", "451 4.3.0 Temporary local problem, try again later"])
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
