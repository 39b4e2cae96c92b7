public import Logging
public import ServiceLifecycle
import Metrics
import NIOCore
import NIOPosix

/// The SMTP listener as a `Service`: binds, gives each connection an
/// `SMTPServerHandler` with its own backend session, enforces the connection
/// limits, and on graceful shutdown stops accepting and tells connected
/// clients `421` (after any backend call in progress, so a message being
/// committed still gets its reply) before closing them.
public final class SMTPServer: Service {
    private let configuration: SMTPServerConfiguration
    private let backend: any SMTPBackend
    private let logger: Logger
    private let onListening: @Sendable (_ host: String, _ port: Int) -> Void
    private let registry: SMTPConnectionRegistry
    private let connectionsTotal = Counter(label: "conduit_smtp_connections_total")
    private let connectionsRejected = Counter(label: "conduit_smtp_connections_rejected_total")
    private let connectionsActive = Gauge(label: "conduit_smtp_connections_active")

    /// - Parameter onListening: called once the socket is bound, with the real port.
    public init(
        configuration: SMTPServerConfiguration,
        backend: any SMTPBackend,
        logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.backend = backend
        self.logger = logger
        self.onListening = onListening
        self.registry = SMTPConnectionRegistry(maxTotal: configuration.maxConnections, maxPerIP: configuration.maxConnectionsPerIP)
    }

    public func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // IPPROTO_TCP: `.socketOption(.tcp_nodelay)` would be SOL_SOCKET level 1,
            // i.e. SO_DEBUG, which fails with EACCES for any user but root and
            // closed every connection before the greeting.
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try self.initialize(channel) }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()

        let port = server.localAddress?.port ?? configuration.port
        logger.info("SMTP listening", metadata: ["address": "\(configuration.host):\(port)"])
        onListening(configuration.host, port)

        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: stop all the same.
        }
        try? await server.close()
        await drainConnections()
        logger.info("SMTP listener stopped")
    }

    /// Sets up one accepted connection (on its event loop).
    private func initialize(_ channel: any Channel) throws {
        let ip = Self.clientIP(channel.remoteAddress)
        let info = SMTPConnectionInfo(remoteIP: ip, remotePort: channel.remoteAddress?.port ?? 0)
        var logger = logger
        logger[metadataKey: "peer"] = "\(ip):\(info.remotePort)"
        connectionsTotal.increment()

        var refusal: SMTPReply?
        switch registry.register(channel, ip: ip) {
        case .admitted:
            break
        case .tooManyTotal:
            refusal = SMTPReply(421, "4.3.2", "\(configuration.session.hostname) Too many connections, try again later")
        case .tooManyFromIP:
            refusal = SMTPReply(421, "4.7.0", "\(configuration.session.hostname) Too many connections from your address, try again later")
        }
        if refusal != nil {
            connectionsRejected.increment()
            logger.warning("SMTP connection refused: too many connections")
        }
        let active = registry.count
        connectionsActive.record(active)
        let gauge = connectionsActive
        let registry = registry
        channel.closeFuture.whenComplete { _ in gauge.record(registry.count) }

        let timeout = TimeAmount.nanoseconds(Int64(configuration.commandTimeout.components.seconds) * 1_000_000_000)
        let handler = SMTPServerHandler(
            session: SMTPSession(settings: configuration.session, connection: info),
            backend: backend.makeSession(for: info, on: channel.eventLoop),
            tls: configuration.tls,
            maxLineLength: configuration.maxLineLength,
            refusal: refusal,
            data: configuration.data,
            logger: logger
        )
        try channel.pipeline.syncOperations.addHandlers([IdleStateHandler(readTimeout: timeout), handler])
    }

    /// Asks every connection to finish, waits up to 30 s, then closes the rest.
    private func drainConnections() async {
        for channel in registry.all {
            channel.pipeline.fireUserInboundEventTriggered(SMTPServerHandler.ShutdownEvent())
        }
        for _ in 0..<300 where registry.count > 0 {
            try? await Task.sleep(for: .milliseconds(100))
        }
        for channel in registry.all {
            try? await channel.close()
        }
    }

    /// The client's address as text; IPv4-mapped IPv6 (a dual-stack socket)
    /// is shown as plain IPv4 so limits and policies see one form.
    static func clientIP(_ address: SocketAddress?) -> String {
        guard let ip = address?.ipAddress else { return "unknown" }
        if ip.hasPrefix("::ffff:"), ip.dropFirst(7).contains(".") { return String(ip.dropFirst(7)) }
        return ip
    }
}
