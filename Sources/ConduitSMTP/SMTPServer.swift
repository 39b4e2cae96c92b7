public import Logging
public import ServiceLifecycle
import Metrics
import NIOCore
import NIOPosix
import Synchronization

/// The SMTP listener as a `Service`: binds, serves each connection in its own
/// task, and on graceful shutdown stops accepting and tells connected clients
/// `421` before closing them.
public final class SMTPServer: Service {
    private let configuration: SMTPServerConfiguration
    private let logger: Logger
    private let onListening: @Sendable (_ host: String, _ port: Int) -> Void
    private let active = Atomic<Int>(0)
    private let connectionsTotal = Counter(label: "conduit_smtp_connections_total")
    private let connectionsRejected = Counter(label: "conduit_smtp_connections_rejected_total")
    private let connectionsActive = Gauge(label: "conduit_smtp_connections_active")

    /// - Parameter onListening: called once the socket is bound, with the real port.
    public init(
        configuration: SMTPServerConfiguration,
        logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let configuration = configuration
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let timeout = TimeAmount.nanoseconds(Int64(configuration.commandTimeout.components.seconds) * 1_000_000_000)
                    let session = SMTPSession(settings: configuration.session)
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: timeout),
                        IdleTimeoutHandler(reply: session.timedOut()),
                    ])
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(SMTPLineDecoder(maxLineLength: configuration.maxLineLength))
                    )
                    return try NIOAsyncChannel<SMTPInbound, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }

        let port = server.channel.localAddress?.port ?? configuration.port
        logger.info("SMTP listening", metadata: ["address": "\(configuration.host):\(port)"])
        onListening(configuration.host, port)

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
        logger.info("SMTP listener stopped")
    }

    private func serve(_ connection: NIOAsyncChannel<SMTPInbound, ByteBuffer>) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown"
        var logger = logger
        logger[metadataKey: "peer"] = "\(peer)"
        connectionsTotal.increment()
        let count = active.add(1, ordering: .relaxed).newValue
        connectionsActive.record(count)
        defer { connectionsActive.record(active.subtract(1, ordering: .relaxed).newValue) }

        var session = SMTPSession(settings: configuration.session)
        let channel = connection.channel
        let shutdownReply = session.shuttingDown()
        do {
            try await withGracefulShutdownHandler {
                try await connection.executeThenClose { inbound, outbound in
                    guard count <= self.configuration.maxConnections else {
                        self.connectionsRejected.increment()
                        logger.warning("SMTP connection refused: too many connections", metadata: ["limit": "\(self.configuration.maxConnections)"])
                        try await outbound.write(Self.encode(SMTPReply(421, "4.3.2", "\(self.configuration.session.hostname) Too many connections, try again later")))
                        return
                    }
                    logger.debug("SMTP connection opened")
                    try await outbound.write(Self.encode(session.greeting()))
                    for try await input in inbound {
                        switch session.receive(input) {
                        case let .reply(reply):
                            try await outbound.write(Self.encode(reply))
                        case let .replyAndClose(reply):
                            try await outbound.write(Self.encode(reply))
                            return
                        }
                    }
                }
            } onGracefulShutdown: {
                // Runs on another task: go through the channel, which is thread-safe.
                channel.writeAndFlush(Self.encode(shutdownReply)).whenComplete { _ in
                    channel.close(promise: nil)
                }
            }
            logger.debug("SMTP connection closed")
        } catch {
            logger.debug("SMTP connection ended with error", metadata: ["error": "\(error)"])
        }
    }

    private static func encode(_ reply: SMTPReply) -> ByteBuffer {
        ByteBuffer(string: reply.wire)
    }
}
