import ConduitCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Opens connections to webhook origins behind the SSRF guard
/// (docs/DELIVERY.md): resolves the host once with Conduit's own resolver,
/// keeps only the addresses `EgressPolicy` admits, and connects to the first
/// admitted one that answers — the very address that was checked, with no
/// second lookup in between, so DNS rebinding cannot slip a private address
/// in. TLS is verified against the webhook's host name.
struct WebhookConnector: Sendable {
    let policy: EgressPolicy
    let resolver: TargetResolver
    let group: any EventLoopGroup
    let tls: TLSContextProvider
    let maxDrainBytes: Int

    /// Why a connection was not made: the SSRF refusal or DNS failure
    /// (`EgressRefusal`), or the last address's connect error.
    func connect(to origin: WebhookTarget.Origin, deadline: NIODeadline) async throws -> WebhookConnection {
        let addresses = try await resolver.resolve(origin.host).flatMap(policy.admit).get()
        let tls = origin.tls ? try tls.context() : nil
        var lastError: (any Error)?
        for address in addresses {
            let remaining = deadline - .now()
            guard remaining > .zero else { throw ExchangeFailure.timedOut }
            do {
                return try await open(origin, at: address, tls: tls, timeout: remaining)
            } catch {
                lastError = ConnectFailure(address: address, port: origin.port, underlying: error)
            }
        }
        throw lastError ?? EgressRefusal(reason: "no address to connect to")
    }

    private func open(
        _ origin: WebhookTarget.Origin, at address: IPAddress, tls: NIOSSLContext?, timeout: TimeAmount
    ) async throws -> WebhookConnection {
        let socketAddress = try SocketAddress(ipAddress: address.description, port: origin.port)
        // SNI and name verification take a host name; an IP literal target
        // is verified by its chain only (as before, and as browsers cannot
        // do better without an IP SAN check).
        let serverHostname = IPAddress(origin.host) == nil ? origin.host : nil
        let maxDrainBytes = maxDrainBytes
        return try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: socketAddress) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try pipeline.addHTTPClientHandlers()
                    let handler = HTTPExchangeHandler(maxDrainBytes: maxDrainBytes)
                    try pipeline.addHandler(handler)
                    return WebhookConnection(origin: origin, channel: channel, handler: NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
    }
}

/// The last address a connection could not be made to, and why.
struct ConnectFailure: Error, CustomStringConvertible {
    var address: IPAddress
    var port: Int
    var underlying: any Error

    var description: String {
        let why: String = switch underlying {
        case ChannelError.connectTimeout: "timed out"
        case let error as IOError where error.errnoCode == 111: "connection refused"
        default: "\(underlying)"
        }
        return "\(address) port \(port): \(why)"
    }
}

/// The client's TLS context, made on first use and kept: loading the
/// system's trust roots can fail (a system without ca-certificates), which
/// must fail the https POSTs with that reason, not keep Conduit from
/// starting. A failure is not kept: the next https POST tries again.
final class TLSContextProvider: Sendable {
    private let configuration: TLSConfiguration
    private let made = Mutex<NIOSSLContext?>(nil)

    init(configuration: TLSConfiguration) {
        self.configuration = configuration
    }

    func context() throws(TLSUnavailable) -> NIOSSLContext {
        do {
            return try made.withLock { made in
                if let made { return made }
                let context = try NIOSSLContext(configuration: configuration)
                made = context
                return context
            }
        } catch {
            throw TLSUnavailable(underlying: "\(error)")
        }
    }
}

/// No TLS context could be made (the trust roots did not load).
struct TLSUnavailable: Error, CustomStringConvertible {
    var underlying: String
    var description: String {
        "TLS is unavailable: the system's trust roots could not be loaded (is ca-certificates installed?): \(underlying)"
    }
}
