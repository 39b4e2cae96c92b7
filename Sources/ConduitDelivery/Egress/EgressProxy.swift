import ConduitCore
public import Logging
public import NIOCore
public import NIOPosix
import FoundationEssentials

/// The SSRF guard (docs/DELIVERY.md) as a CONNECT proxy on loopback that only the
/// webhook HTTP client uses. For each tunnel it resolves the target once,
/// refuses unless `EgressPolicy` admits an address, and connects to the
/// address it checked — no second lookup between check and connect, so DNS
/// rebinding cannot slip a private address in. The HTTP client keeps its
/// one connection pool (TLS runs end to end through the tunnel, verified
/// against the webhook's host name).
///
/// A random credential, required in `Proxy-Authorization`, keeps other
/// local processes from using it.
public final class EgressProxy: Sendable {
    /// The loopback port the proxy listens on.
    public let port: Int
    /// `Basic` credentials the client must present.
    public let username = "conduit"
    public let password: String
    private let failures: EgressFailureLog
    private let serverChannel: any Channel

    /// Binds `127.0.0.1` on an ephemeral port and starts accepting.
    public static func start(
        policy: EgressPolicy, resolver: TargetResolver, connectTimeout: Duration, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> EgressProxy {
        let password = Base64URL.encode(SecureRandom.bytes(32))
        let failures = EgressFailureLog()
        let expected = "Basic " + Data("conduit:\(password)".utf8).base64EncodedString()
        let settings = ConnectHandler.Settings(
            policy: policy, resolver: resolver, connectTimeout: connectTimeout,
            expectedAuthorization: expected, failures: failures, logger: logger
        )
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ConnectHandler(settings: settings))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        guard let port = channel.localAddress?.port else { throw EgressRefusal(reason: "egress proxy has no port") }
        logger.info("egress proxy listening", metadata: ["port": "\(port)", "allow_private_targets": "\(policy.allowPrivateTargets)"])
        return EgressProxy(port: port, password: password, failures: failures, serverChannel: channel)
    }

    private init(port: Int, password: String, failures: EgressFailureLog, serverChannel: any Channel) {
        self.port = port
        self.password = password
        self.failures = failures
        self.serverChannel = serverChannel
    }

    /// Why the last tunnel to `host:port` was refused or failed, if that
    /// happened within the last two minutes.
    public func failureReason(host: String, port: Int) -> String? {
        failures.reason(host: host, port: port)
    }

    /// Stops accepting tunnels (open ones end with their connections).
    public func close() async {
        try? await serverChannel.close()
    }
}
