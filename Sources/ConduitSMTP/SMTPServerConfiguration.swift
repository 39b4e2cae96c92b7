/// How an SMTP listener binds and behaves.
public struct SMTPServerConfiguration: Sendable {
    /// Address to bind: an IP literal or `localhost`.
    public var host: String
    /// Port to bind; 0 picks a free one (reported through `onListening`).
    public var port: Int
    /// What the dialogue advertises and enforces.
    public var session: SMTPSession.Settings
    /// Longest command line accepted, excluding CRLF.
    public var maxLineLength: Int
    /// Connections served at once; more are answered `421` and closed.
    public var maxConnections: Int
    /// Idle time allowed between commands (RFC 5321 §4.5.3.2.7 asks for 5 minutes).
    public var commandTimeout: Duration

    public init(
        host: String,
        port: Int,
        session: SMTPSession.Settings,
        maxLineLength: Int = 1000,
        maxConnections: Int = 1000,
        commandTimeout: Duration = .seconds(300)
    ) {
        self.host = host
        self.port = port
        self.session = session
        self.maxLineLength = maxLineLength
        self.maxConnections = maxConnections
        self.commandTimeout = commandTimeout
    }
}
