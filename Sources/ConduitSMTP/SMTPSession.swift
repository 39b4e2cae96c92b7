public import Foundation
import NIOCore

/// The SMTP dialogue as a pure state machine: it consumes framed input and
/// backend answers and says what to do next. No I/O, no clocks of its own
/// (the id and time for `Received:` are injected), so golden transcripts
/// test it exactly. `SMTPServerHandler` drives it.
///
/// Commands live in `SMTPSession+Commands.swift`, the mail transaction in
/// `+Transaction.swift`, AUTH in `+Auth.swift`.
public struct SMTPSession: Sendable {
    /// What the driver does after feeding input.
    public enum Action: Equatable, Sendable {
        /// Nothing to send (a line of message text was taken).
        case none
        case reply(SMTPReply)
        /// Send the reply, then close the connection.
        case replyAndClose(SMTPReply)
        /// Send the reply in plaintext, discard any input already received,
        /// then start the TLS handshake, report it with `tlsEstablished()` and
        /// carry out the action that returns (telling the backend).
        case startTLS(SMTPReply)
        /// Ask the backend, then hand its reply to `backendReplied(_:)`.
        /// No input is fed until then.
        case backend(BackendCall)
    }

    /// A question for the `SMTPBackendSession`.
    public enum BackendCall: Equatable, Sendable {
        case authenticate(username: String, password: String)
        case mail(SMTPMailbox?, SMTPMailParameters, SMTPTransactionContext)
        case rcpt(SMTPMailbox)
        case data(SMTPMessage)
        /// STARTTLS completed: the backend forgets what the plaintext part
        /// of the session established (AUTH). Its reply is not sent.
        case tlsStarted
    }

    /// Per-listener settings the dialogue depends on.
    public struct Settings: Sendable {
        /// The name in the banner, the EHLO reply and `Received:`.
        public var hostname: String
        /// Advertised as `SIZE`; longer messages get `552`.
        public var maxMessageBytes: Int
        /// Recipients per transaction; more get `452`.
        public var maxRecipients: Int
        /// Bad commands (and rejected recipients, failed AUTH) tolerated
        /// before `421` and close, as Postfix's error limit.
        public var maxErrors: Int
        /// Whether STARTTLS is offered (a certificate is configured).
        public var tlsAvailable: Bool
        /// Whether AUTH is offered without TLS.
        public var allowInsecureAuth: Bool
        /// Makes the queue id of a message (at DATA).
        public var makeID: @Sendable () -> String
        /// The time written into `Received:`.
        public var now: @Sendable () -> Date

        public init(
            hostname: String,
            maxMessageBytes: Int,
            maxRecipients: Int = 100,
            maxErrors: Int = 20,
            tlsAvailable: Bool = false,
            allowInsecureAuth: Bool = false,
            makeID: @escaping @Sendable () -> String = { UUID().uuidString },
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.hostname = hostname
            self.maxMessageBytes = maxMessageBytes
            self.maxRecipients = maxRecipients
            self.maxErrors = maxErrors
            self.tlsAvailable = tlsAvailable
            self.allowInsecureAuth = allowInsecureAuth
            self.makeID = makeID
            self.now = now
        }
    }

    enum Phase: Equatable, Sendable {
        /// Before EHLO/HELO.
        case connected
        /// Greeted, no transaction.
        case ready
        /// MAIL FROM accepted; RCPT and DATA may follow.
        case transaction
        /// After 354: input is message text until `.`.
        case data
        /// AUTH PLAIN sent `334`, waiting for the response line.
        case authPlain
        /// AUTH LOGIN asked for the user name.
        case authLoginUser
        /// AUTH LOGIN asked for the password of `user`.
        case authLoginPassword(user: String)
        /// A backend call is outstanding.
        case awaiting(Pending)
        /// STARTTLS answered; input is discarded until the handshake ends.
        case startingTLS
        case closed
    }

    /// What an outstanding backend call was for.
    enum Pending: Equatable, Sendable {
        case auth(username: String)
        case mail(sender: SMTPMailbox?, parameters: SMTPMailParameters)
        case rcpt(SMTPMailbox)
        case data
        /// The backend is told that TLS started.
        case tlsReset
    }

    public let settings: Settings
    let connection: SMTPConnectionInfo
    var phase: Phase = .connected
    var errors = 0
    /// The name the client gave in EHLO/HELO, once it has.
    public internal(set) var clientName: String?
    /// Whether the client said EHLO (ESMTP) rather than HELO.
    var extended = false
    /// Whether STARTTLS completed.
    public internal(set) var tls = false
    /// The user SMTP AUTH authenticated, if any.
    public internal(set) var authUser: String?
    /// Inside an over-long command line: the rest of it is ignored.
    var discardingLine = false

    // The transaction.
    var sender: SMTPMailbox?
    var parameters = SMTPMailParameters()
    var recipients: [SMTPMailbox] = []
    var rejectedRecipients = 0

    // The message being received in DATA.
    var messageID = ""
    var content = ByteBuffer()
    var contentBytes = 0
    var oversize = false
    var atLineStart = true

    public init(settings: Settings, connection: SMTPConnectionInfo) {
        self.settings = settings
        self.connection = connection
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

    /// Whether a backend call is outstanding (the driver must not feed input).
    public var isAwaitingBackend: Bool {
        if case .awaiting = phase { return true }
        return false
    }

    /// Consumes one framed input and says what to do.
    public mutating func receive(_ input: SMTPInbound) -> Action {
        switch phase {
        case .closed:
            return .replyAndClose(SMTPReply(421, "4.3.0", "Connection closing"))
        case .awaiting, .startingTLS:
            // The driver holds input while waiting; anything that slips
            // through (plaintext pipelined behind STARTTLS) is dropped.
            return .none
        case .data:
            return receiveText(input)
        case .authPlain, .authLoginUser, .authLoginPassword:
            guard case let .line(buffer) = input else {
                // Over-long: abandon the exchange; the line's tail answers 500.
                phase = .ready
                discardingLine = true
                return .none
            }
            return receiveAuthResponse(String(decoding: buffer.readableBytesView, as: UTF8.self))
        case .connected, .ready, .transaction:
            switch input {
            case .fragment:
                discardingLine = true
                return .none
            case let .line(buffer):
                if discardingLine {
                    discardingLine = false
                    return error(SMTPReply(500, "5.5.6", "Line too long"))
                }
                guard let command = SMTPCommand(line: Array(buffer.readableBytesView)) else {
                    return error(SMTPReply(500, "5.5.2", "Syntax error, command unrecognized"))
                }
                return handle(command)
            }
        }
    }

    /// Takes the backend's reply to the call the last action asked for.
    public mutating func backendReplied(_ reply: SMTPReply) -> Action {
        guard case let .awaiting(pending) = phase else {
            preconditionFailure("backendReplied without an outstanding call")
        }
        let accepted = (200..<300).contains(reply.code)
        switch pending {
        case let .auth(username):
            phase = .ready
            if accepted {
                authUser = username
                return .reply(reply)
            }
            return error(reply)
        case let .mail(sender, parameters):
            if accepted {
                beginTransaction(sender: sender, parameters: parameters)
            } else {
                phase = .ready
            }
            return .reply(reply)
        case let .rcpt(mailbox):
            phase = .transaction
            if accepted {
                recipients.append(mailbox)
                return .reply(reply)
            }
            rejectedRecipients += 1
            return reply.code >= 500 ? error(reply) : .reply(reply)
        case .data:
            endTransaction()
            return .reply(reply)
        case .tlsReset:
            phase = .connected
            return .none
        }
    }

    /// The TLS handshake after STARTTLS finished: the session starts over
    /// (RFC 3207 §4.2: "discard any knowledge obtained from the client"), so
    /// the client must say EHLO again and AUTH again — credentials checked in
    /// plaintext, or before a man in the middle stepped aside, count for
    /// nothing. Asks the driver to tell the backend (`.tlsStarted`), which
    /// holds AUTH state of its own; no input is taken until it has answered.
    public mutating func tlsEstablished() -> Action {
        tls = true
        clientName = nil
        extended = false
        authUser = nil
        endTransaction()
        phase = .awaiting(.tlsReset)
        return .backend(.tlsStarted)
    }

    /// STARTTLS was answered but TLS could not start: back to plaintext.
    public mutating func tlsFailed() {
        phase = clientName == nil ? .connected : .ready
    }

    /// Counts a failed command; too many of them end the session (a client
    /// that only sends garbage should not hold a connection slot).
    mutating func error(_ reply: SMTPReply) -> Action {
        errors += 1
        if errors >= settings.maxErrors {
            phase = .closed
            return .replyAndClose(SMTPReply(421, "4.7.0", "\(settings.hostname) Too many errors, closing connection"))
        }
        return .reply(reply)
    }
}
