import NIOCore
import NIOPosix
import NIOSSL

/// A minimal SMTP submission client for Conduit's own mail (password reset)
/// through the configured smarthost: EHLO, STARTTLS when offered
/// (opportunistic: encrypts, does not authenticate the server, as MTAs do on
/// port 25), MAIL, RCPT, DATA with dot-stuffing, QUIT.
public struct SMTPClient: Sendable {
    public let host: String
    public let port: Int
    /// Our name in EHLO.
    public let heloName: String
    /// The whole exchange must finish within this time.
    public let timeout: Duration

    public init(host: String, port: Int, heloName: String, timeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.heloName = heloName
        self.timeout = timeout
    }

    /// Sends `message` (RFC 5322 text with CRLF line ends) from `sender` to `recipients`.
    public func send(from sender: String, to recipients: [String], message: String) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.exchange(from: sender, to: recipients, message: message) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SMTPClientError.timedOut
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func exchange(from sender: String, to recipients: [String], message: String) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder(maxLineLength: 4096)))
                    return try NIOAsyncChannel<SMTPInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyReader(inbound.makeAsyncIterator())
            try await replies.expect(220)
            try await outbound.write(ByteBuffer(string: "EHLO \(heloName)\r\n"))
            var extensions = try await replies.expect(250).lines.dropFirst().map { $0.uppercased() }
            if extensions.contains(where: { $0 == "STARTTLS" || $0.hasPrefix("STARTTLS ") }) {
                try await outbound.write(ByteBuffer(string: "STARTTLS\r\n"))
                try await replies.expect(220)
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.certificateVerification = .none
                let context = try NIOSSLContext(configuration: tls)
                let serverName = host.contains(":") || host.allSatisfy({ $0.isNumber || $0 == "." }) ? nil : host
                let raw = channel.channel
                // The handler is not Sendable: make and install it on the channel's own event loop.
                try await raw.eventLoop.submit {
                    try raw.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName), position: .first)
                }.get()
                try await outbound.write(ByteBuffer(string: "EHLO \(heloName)\r\n"))
                extensions = try await replies.expect(250).lines.dropFirst().map { $0.uppercased() }
            }
            try await outbound.write(ByteBuffer(string: "MAIL FROM:<\(sender)>\r\n"))
            try await replies.expect(250)
            for recipient in recipients {
                try await outbound.write(ByteBuffer(string: "RCPT TO:<\(recipient)>\r\n"))
                try await replies.expect(250, 251)
            }
            try await outbound.write(ByteBuffer(string: "DATA\r\n"))
            try await replies.expect(354)
            try await outbound.write(ByteBuffer(string: Self.dotStuffed(message) + ".\r\n"))
            try await replies.expect(250)
            try await outbound.write(ByteBuffer(string: "QUIT\r\n"))
            _ = try? await replies.next()
        }
    }

    /// CRLF line ends throughout, a leading `.` doubled on every line, and a
    /// final CRLF, ready for the terminating `.`.
    static func dotStuffed(_ message: String) -> String {
        // "\r\n" is one Character in Swift: split on it and on a lone "\n".
        var lines = message.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r\n" || $0 == "\n" }).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.map { $0 + "\r\n" }.joined()
    }
}

/// Why a mail could not be handed to the smarthost.
public enum SMTPClientError: Error, Equatable, CustomStringConvertible {
    case timedOut
    case connectionClosed
    case unexpectedReply(SMTPReply)
    case malformedReply(String)

    public var description: String {
        switch self {
        case .timedOut: "the smarthost did not finish in time"
        case .connectionClosed: "the smarthost closed the connection"
        case let .unexpectedReply(reply): "the smarthost answered \(reply)"
        case let .malformedReply(line): "the smarthost sent a malformed reply: \(line)"
        }
    }
}

/// Reads multi-line replies (`250-…` continued, `250 …` last).
struct ReplyReader {
    private var lines: NIOAsyncChannelInboundStream<SMTPInbound>.AsyncIterator

    init(_ lines: NIOAsyncChannelInboundStream<SMTPInbound>.AsyncIterator) {
        self.lines = lines
    }

    mutating func next() async throws -> SMTPReply {
        var code: Int?
        var texts: [String] = []
        while true {
            guard let input = try await lines.next() else { throw SMTPClientError.connectionClosed }
            guard case let .line(bytes) = input else { throw SMTPClientError.malformedReply("line too long") }
            let line = String(decoding: bytes.readableBytesView, as: UTF8.self)
            guard line.utf8.count >= 3, let value = Int(line.prefix(3)), (200...599).contains(value) else {
                throw SMTPClientError.malformedReply(line)
            }
            if let code, code != value { throw SMTPClientError.malformedReply(line) }
            code = value
            texts.append(String(line.dropFirst(4)))
            if line.utf8.count == 3 || line.dropFirst(3).first == " " { return SMTPReply(value, nil, texts) }
        }
    }

    @discardableResult
    mutating func expect(_ codes: Int...) async throws -> SMTPReply {
        let reply = try await next()
        guard codes.contains(reply.code) else { throw SMTPClientError.unexpectedReply(reply) }
        return reply
    }
}
