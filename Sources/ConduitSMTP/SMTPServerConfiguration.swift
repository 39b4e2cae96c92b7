/// How an SMTP listener binds and behaves.
public struct SMTPServerConfiguration: Sendable {
    /// Address to bind: an IP literal or `localhost`.
    public var host: String
    /// Port to bind; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// What the dialogue advertises and enforces.
    public var session: SMTPSession.Settings
    /// Longest command line accepted, excluding CRLF (message text may have
    /// longer lines; it is framed in pieces of this size).
    public var maxLineLength: Int
    /// Connections served at once; more are answered `421` and closed.
    public var maxConnections: Int
    /// Connections from one IP address at once; more get `421`.
    public var maxConnectionsPerIP: Int
    /// Idle time allowed while the server waits for the client. RFC 5321
    /// §4.5.3.2.7 asks for at least 5 minutes; it covers every wait (command,
    /// DATA text, TLS handshake).
    public var commandTimeout: Duration
    /// STARTTLS certificate; `nil` = STARTTLS not offered.
    public var tls: SMTPTLSProvider?
    /// How DATA is held: memory threshold, budget, spill directory.
    public var data: SMTPDataSettings

    public init(
        host: String,
        port: Int,
        session: SMTPSession.Settings,
        maxLineLength: Int = 1000,
        maxConnections: Int = 1000,
        maxConnectionsPerIP: Int = 50,
        commandTimeout: Duration = .seconds(300),
        tls: SMTPTLSProvider? = nil,
        data: SMTPDataSettings = .inMemory
    ) {
        self.data = data
        self.host = host
        self.port = port
        self.session = session
        self.maxLineLength = maxLineLength
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.commandTimeout = commandTimeout
        self.tls = tls
    }
}
