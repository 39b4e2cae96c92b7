/// The SMTP dialogue as a pure state machine: it consumes framed input and
/// returns what to send and whether to close. No I/O, no clocks, so golden
/// transcripts test it exactly.
///
/// This stage of Conduit implements the connection-level commands (EHLO,
/// HELO, NOOP, RSET, QUIT); mail transaction commands answer 502 until the
/// ingress backend exists.
public struct SMTPSession: Sendable {
    /// What the driver does after feeding input.
    public enum Action: Equatable, Sendable {
        case reply(SMTPReply)
        /// Send the reply, then close the connection.
        case replyAndClose(SMTPReply)
    }

    /// Per-listener settings the dialogue depends on.
    public struct Settings: Sendable {
        /// The name in the banner and the EHLO reply.
        public var hostname: String
        /// Advertised as `SIZE` in EHLO.
        public var maxMessageBytes: Int
        /// Bad commands tolerated before `421` and close.
        public var maxErrors: Int

        public init(hostname: String, maxMessageBytes: Int, maxErrors: Int = 10) {
            self.hostname = hostname
            self.maxMessageBytes = maxMessageBytes
            self.maxErrors = maxErrors
        }
    }

    private enum State: Sendable { case connected, greeted, closed }

    public let settings: Settings
    private var state: State = .connected
    private var errors = 0
    /// The name the client gave in EHLO/HELO, once it has.
    public private(set) var clientName: String?

    public init(settings: Settings) {
        self.settings = settings
    }

    /// The banner to send when the connection opens.
    public func greeting() -> SMTPReply {
        SMTPReply(220, nil, "\(settings.hostname) ESMTP Conduit ready")
    }

    /// The reply to a server-side shutdown while the client is connected.
    public func shuttingDown() -> SMTPReply {
        SMTPReply(421, "4.3.2", "\(settings.hostname) Service shutting down, try again later")
    }

    /// The reply when the client has been idle past the command timeout.
    public func timedOut() -> SMTPReply {
        SMTPReply(421, "4.4.2", "\(settings.hostname) Timeout waiting for command, closing connection")
    }

    /// Consumes one framed input and says what to answer.
    public mutating func receive(_ input: SMTPInbound) -> Action {
        guard state != .closed else { return .replyAndClose(SMTPReply(421, "4.3.0", "Connection closing")) }
        switch input {
        case .lineTooLong:
            return error(SMTPReply(500, "5.5.6", "Line too long"))
        case let .line(bytes):
            guard let command = SMTPCommand(line: bytes) else {
                return error(SMTPReply(500, "5.5.2", "Syntax error, command unrecognized"))
            }
            return handle(command)
        }
    }

    private mutating func handle(_ command: SMTPCommand) -> Action {
        switch command.verb {
        case "EHLO":
            guard let name = Self.clientDomain(command.argument) else {
                return error(SMTPReply(501, "5.5.4", "Syntax: EHLO domain-or-address-literal"))
            }
            clientName = name
            state = .greeted
            return .reply(SMTPReply(250, nil, [
                "\(settings.hostname) greets \(name)",
                "PIPELINING",
                "SIZE \(settings.maxMessageBytes)",
                "ENHANCEDSTATUSCODES",
            ]))
        case "HELO":
            guard let name = Self.clientDomain(command.argument) else {
                return error(SMTPReply(501, "5.5.4", "Syntax: HELO domain-or-address-literal"))
            }
            clientName = name
            state = .greeted
            return .reply(SMTPReply(250, nil, "\(settings.hostname) greets \(name)"))
        case "NOOP":
            return .reply(.ok())
        case "RSET":
            guard command.argument.isEmpty else { return error(SMTPReply(501, "5.5.4", "Syntax: RSET")) }
            return .reply(.ok("Reset state"))
        case "QUIT":
            state = .closed
            return .replyAndClose(SMTPReply(221, "2.0.0", "\(settings.hostname) closing connection"))
        case "MAIL", "RCPT", "DATA", "BDAT", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", "TURN", "ETRN":
            return error(SMTPReply(502, "5.5.1", "Command not implemented"))
        default:
            return error(SMTPReply(500, "5.5.2", "Syntax error, command unrecognized"))
        }
    }

    /// Counts a failed command; too many of them end the session (a client
    /// that only sends garbage should not hold a connection slot).
    private mutating func error(_ reply: SMTPReply) -> Action {
        errors += 1
        if errors >= settings.maxErrors {
            state = .closed
            return .replyAndClose(SMTPReply(421, "4.7.0", "\(settings.hostname) Too many errors, closing connection"))
        }
        return .reply(reply)
    }

    /// The EHLO/HELO argument if it is one token of printable ASCII (a domain
    /// or an address literal, RFC 5321 §4.1.1.1); `nil` otherwise.
    static func clientDomain(_ argument: String) -> String? {
        let name = argument.trimmingSuffix(" ")
        guard !name.isEmpty, name.utf8.count <= 255,
              name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
        else { return nil }
        return name
    }
}

extension String {
    fileprivate func trimmingSuffix(_ character: Character) -> String {
        var s = Substring(self)
        while s.last == character { s.removeLast() }
        return String(s)
    }
}
