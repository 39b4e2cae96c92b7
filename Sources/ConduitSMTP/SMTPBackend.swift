public import NIOCore

/// What the SMTP server asks of whoever decides about mail (go-smtp's
/// `Backend`/`Session` shape). The SMTP target knows only this protocol; the
/// ingress implements it with recipients, policies and the spool.
public protocol SMTPBackend: Sendable {
    /// A fresh session for one accepted connection, confined to `eventLoop`
    /// (the connection's): every method of it is called there.
    func makeSession(for connection: SMTPConnectionInfo, on eventLoop: any EventLoop) -> any SMTPBackendSession
}

/// A backend's answer to a command: decided at once on the event loop, or
/// later, when slow work (DNS, password hashing, the spool's durable write)
/// has finished. The server reads no further input until it has the reply.
public enum SMTPBackendAnswer: Sendable {
    /// The reply, decided during the call (no task, no thread hop).
    case reply(SMTPReply)
    /// The reply once the future completes, on the session's event loop or
    /// any other; a failed future answers `451 4.3.0`.
    case pending(EventLoopFuture<SMTPReply>)
}

/// One connection's backend state. The server calls one method at a time,
/// on the connection's event loop, in protocol order, and waits for each
/// answer before reading on; every answer is the SMTP reply to send, and a
/// 2xx reply means "accepted". Methods must not block the loop: what can
/// be decided from memory or a read transaction answers `.reply`, anything
/// that waits on the network or the disk answers `.pending`.
public protocol SMTPBackendSession: Sendable {
    /// `AUTH`: answer `235` to authenticate, `535 5.7.8` otherwise.
    func authenticate(username: String, password: String) -> SMTPBackendAnswer
    /// `MAIL FROM`: begins a new transaction, discarding any earlier one
    /// (the server tracks RSET and aborted transactions itself). `nil` is
    /// the null reverse-path.
    func mail(from sender: SMTPMailbox?, parameters: SMTPMailParameters, context: SMTPTransactionContext) -> SMTPBackendAnswer
    /// `RCPT TO`: `250` accepts the recipient for this transaction.
    func rcpt(to recipient: SMTPMailbox) -> SMTPBackendAnswer
    /// The complete message of the transaction. Answer `250` only once it
    /// is durably stored: the client may forget it as soon as it reads that.
    func data(_ message: SMTPMessage) -> SMTPBackendAnswer
    /// STARTTLS completed (RFC 3207 §4.2): forget everything learnt from the
    /// client before it — above all whom AUTH authenticated — as if the
    /// connection were new. Called before any command sent inside TLS, so
    /// it must take effect during the call.
    func tlsStarted()
    /// The connection is gone; nothing more will be called.
    func close()
    /// An observer for the text of the next message, called on the event
    /// loop as DATA arrives (e.g. DKIM body hashing); `nil` to watch nothing.
    /// Its `finish()` value reaches `data` as `SMTPMessage.observation`.
    func makeMessageObserver() -> (any SMTPMessageObserver)?
}

extension SMTPBackendSession {
    public func makeMessageObserver() -> (any SMTPMessageObserver)? { nil }
}

/// Facts about a connection, fixed when it is accepted.
public struct SMTPConnectionInfo: Sendable, Equatable {
    /// The client's IP address as text (`192.0.2.1`, `2001:db8::1`).
    public var remoteIP: String
    public var remotePort: Int

    public init(remoteIP: String, remotePort: Int) {
        self.remoteIP = remoteIP
        self.remotePort = remotePort
    }
}

/// What a transaction knows from the connection at `MAIL FROM` time.
public struct SMTPTransactionContext: Sendable, Equatable {
    /// The EHLO/HELO argument.
    public var helo: String
    /// Whether the session runs inside TLS (STARTTLS completed).
    public var tls: Bool
    /// The SMTP AUTH user, when the client authenticated.
    public var authUser: String?

    public init(helo: String, tls: Bool, authUser: String?) {
        self.helo = helo
        self.tls = tls
        self.authUser = authUser
    }
}

/// The ESMTP parameters of `MAIL FROM` this server understands.
public struct SMTPMailParameters: Sendable, Equatable {
    /// `SIZE=`: the client's estimate of the message size.
    public var declaredSize: Int?
    /// `BODY=8BITMIME` (true) or `7BIT`/absent (false).
    public var eightBitMIME: Bool
    /// `SMTPUTF8`: addresses and headers may be UTF-8 (RFC 6531).
    public var smtpUTF8: Bool

    public init(declaredSize: Int? = nil, eightBitMIME: Bool = false, smtpUTF8: Bool = false) {
        self.declaredSize = declaredSize
        self.eightBitMIME = eightBitMIME
        self.smtpUTF8 = smtpUTF8
    }
}

/// A received message: the server's `Received:` header followed by the
/// client's text, dot-unstuffed, lines ending in CRLF.
public struct SMTPMessage: Sendable, Equatable {
    /// The queue id, also in the `Received:` header.
    public var id: String
    /// The message bytes, in memory and perhaps a spill file; the only copy
    /// the server holds.
    public var content: MessageContent
    /// Recipients the backend accepted, in order.
    public var recipients: [SMTPMailbox]
    /// What the backend's `SMTPMessageObserver` made of the text, if it
    /// watched it.
    public var observation: (any Sendable)?

    public init(id: String, content: MessageContent, recipients: [SMTPMailbox], observation: (any Sendable)? = nil) {
        self.id = id
        self.content = content
        self.recipients = recipients
        self.observation = observation
    }

    /// A message held in one buffer (tests).
    public init(id: String, content: ByteBuffer, recipients: [SMTPMailbox]) {
        self.init(id: id, content: MessageContent(content), recipients: recipients)
    }

    public static func == (lhs: SMTPMessage, rhs: SMTPMessage) -> Bool {
        lhs.id == rhs.id && lhs.recipients == rhs.recipients
            && (lhs.content === rhs.content || lhs.content.inMemory == rhs.content.inMemory && !lhs.content.isSpilled && !rhs.content.isSpilled)
    }
}
