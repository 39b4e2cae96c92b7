import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing
@testable import ConduitSMTP

/// The driver on a test channel: pipelined input, backend calls made in
/// order with input held meanwhile, and the message handed over whole.
@Suite struct SMTPServerHandlerTests {
    /// Records calls; accepts everything except recipients named `nobody`.
    /// MAIL FROM answers as `mailAnswer` says (at once by default).
    final class RecordingBackend: SMTPBackendSession {
        let calls = Mutex<[String]>([])
        let messages = Mutex<[SMTPMessage]>([])
        let mailAnswer: @Sendable () -> SMTPBackendAnswer

        init(mailAnswer: @escaping @Sendable () -> SMTPBackendAnswer = { .reply(SMTPReply(250, "2.1.0", "Sender OK")) }) {
            self.mailAnswer = mailAnswer
        }

        func authenticate(username: String, password: String) -> SMTPBackendAnswer {
            calls.withLock { $0.append("auth \(username)") }
            return .reply(SMTPReply(535, "5.7.8", "no"))
        }

        func mail(from sender: SMTPMailbox?, parameters: SMTPMailParameters, context: SMTPTransactionContext) -> SMTPBackendAnswer {
            calls.withLock { $0.append("mail \(sender?.description ?? "<>") helo=\(context.helo)") }
            return mailAnswer()
        }

        func rcpt(to recipient: SMTPMailbox) -> SMTPBackendAnswer {
            calls.withLock { $0.append("rcpt \(recipient)") }
            return .reply(recipient.localPart == "nobody" ? SMTPReply(550, "5.1.1", "No such mailbox") : SMTPReply(250, "2.1.5", "Recipient OK"))
        }

        func data(_ message: SMTPMessage) -> SMTPBackendAnswer {
            calls.withLock { $0.append("data \(message.id)") }
            messages.withLock { $0.append(message) }
            return .reply(SMTPReply(250, "2.0.0", "OK queued as \(message.id)"))
        }

        func tlsStarted() {
            calls.withLock { $0.append("tls") }
        }

        func close() {
            calls.withLock { $0.append("close") }
        }
    }

    /// MAIL FROM answered later, on another event loop (as a task's result would be).
    static let slowMail: @Sendable () -> SMTPBackendAnswer = {
        .pending(NIOSingletons.posixEventLoopGroup.next().scheduleTask(in: .milliseconds(5)) {
            SMTPReply(250, "2.1.0", "Sender OK")
        }.futureResult)
    }

    static func channel(_ backend: RecordingBackend) async throws -> NIOAsyncTestingChannel {
        let settings = SMTPSession.Settings(hostname: "mx.test", maxMessageBytes: 10_000, makeID: { "Q1" })
        let channel = try await NIOAsyncTestingChannel { channel in
            // Built on the channel's loop: the handler is loop-bound, not Sendable.
            let handler = SMTPServerHandler(
                session: SMTPSession(settings: settings, connection: SMTPConnectionInfo(remoteIP: "192.0.2.1", remotePort: 1)),
                backend: backend, tls: nil, maxLineLength: 100, logger: Logger(label: "test")
            )
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 1))
        return channel
    }

    /// Reads outbound bytes until `count` reply lines ending in a final line
    /// arrived, or a minute passed (replies may come from another event loop,
    /// which a busy machine can hold up for seconds).
    static func replies(_ channel: NIOAsyncTestingChannel, count: Int) async throws -> [String] {
        var text = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            while let buffer = try await channel.readOutbound(as: ByteBuffer.self) {
                text += String(buffer: buffer)
            }
            let finals = text.split(separator: "\r\n").filter { $0.count >= 4 && $0[$0.index($0.startIndex, offsetBy: 3)] == " " }
            if finals.count >= count { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        return text.split(separator: "\r\n").map(String.init)
    }

    @Test func pipelinedCommandsAreAnsweredInOrderAcrossBackendCalls() async throws {
        let backend = RecordingBackend(mailAnswer: Self.slowMail)
        let channel = try await Self.channel(backend)
        try await channel.writeInbound(ByteBuffer(string:
            "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<nobody@x.test>\r\nRCPT TO:<hook@x.test>\r\nDATA\r\n"
        ))
        let lines = try await Self.replies(channel, count: 6)
        #expect(lines.first == "220 mx.test ESMTP Conduit ready")
        #expect(Array(lines.suffix(4)) == [
            "250 2.1.0 Sender OK", "550 5.1.1 No such mailbox", "250 2.1.5 Recipient OK", "354 End data with <CR><LF>.<CR><LF>",
        ])
        #expect(backend.calls.withLock { $0 } == ["mail a@example.org helo=c.example", "rcpt nobody@x.test", "rcpt hook@x.test"])

        // Text, dot-stuffing, a line longer than the frame limit, the end.
        let long = String(repeating: "L", count: 250)
        try await channel.writeInbound(ByteBuffer(string: "Subject: x\r\n\r\n..dot\r\n\(long)\r\n.\r\nQUIT\r\n"))
        let after = try await Self.replies(channel, count: 2)
        #expect(Array(after.suffix(2)) == ["250 2.0.0 OK queued as Q1", "221 2.0.0 mx.test closing connection"])
        let message = try #require(backend.messages.withLock { $0.first })
        let text = String(decoding: try message.content.bytes(), as: UTF8.self)
        #expect(text.hasPrefix("Received: from c.example ([192.0.2.1])\r\n\tby mx.test (Conduit) with ESMTP id Q1\r\n\tfor <hook@x.test>; "))
        #expect(text.hasSuffix("\r\nSubject: x\r\n\r\n.dot\r\n\(long)\r\n"))
        #expect(message.recipients == [SMTPMailbox(localPart: "hook", domain: "x.test")])
        try await channel.closeFuture.get()
    }

    @Test func inputAfterQuitIsIgnored() async throws {
        let backend = RecordingBackend()
        let channel = try await Self.channel(backend)
        try await channel.writeInbound(ByteBuffer(string: "QUIT\r\nMAIL FROM:<a@example.org>\r\n"))
        let lines = try await Self.replies(channel, count: 2)
        #expect(lines == ["220 mx.test ESMTP Conduit ready", "221 2.0.0 mx.test closing connection"])
        try await channel.closeFuture.get()
        #expect(backend.calls.withLock { $0 } == ["close"])
    }
}
