import ConduitCore
public import Logging
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import NIOSSL

/// The one HTTP/1.1 client every webhook POST goes through: it connects
/// straight to an address the SSRF guard admitted (`WebhookConnector`) and
/// keeps idle connections per origin for the next POST
/// (`WebhookConnectionPool`). It never follows redirects (3xx is a failure,
/// docs/DELIVERY.md); a response body is read up to `maxDrainBytes` and thrown
/// away so the connection can carry the next POST.
public final class WebhookHTTPClient: Sendable {
    private let connector: WebhookConnector
    private let pool: WebhookConnectionPool
    private let logger: Logger
    /// How much of a response body is read (and thrown away) before the
    /// connection is dropped instead of reused.
    static let maxDrainBytes = 64 * 1024

    /// - Parameters:
    ///   - maxConnectionsPerHost: idle connections kept per origin.
    ///   - tlsConfiguration: the system's trust roots with full verification
    ///     (loaded at the first https POST); tests pass their own roots.
    ///   - group: the event loops connections run on (tests pass their own).
    public init(
        policy: EgressPolicy, resolver: TargetResolver, maxConnectionsPerHost: Int, logger: Logger,
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.connector = WebhookConnector(
            policy: policy, resolver: resolver, group: group,
            tls: TLSContextProvider(configuration: tlsConfiguration), maxDrainBytes: Self.maxDrainBytes
        )
        self.pool = WebhookConnectionPool(maxIdlePerOrigin: maxConnectionsPerHost)
        self.logger = logger
    }

    /// POSTs `request`, giving up after `timeout` (connect, send, and the
    /// answer). Never throws: every failure becomes a `WebhookResponse`
    /// without a status.
    public func post(_ request: WebhookRequest, timeout: Duration) async -> WebhookResponse {
        let start = ContinuousClock.now
        func elapsed() -> Int { Int((ContinuousClock.now - start) / .milliseconds(1)) }
        guard let target = WebhookTarget(url: request.url) else {
            return WebhookResponse(status: nil, error: "invalid target URL", durationMs: elapsed())
        }
        let deadline = NIODeadline.now() + Self.timeAmount(timeout)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.requestTarget)
        head.headers.reserveCapacity(request.headers.count + 2)
        head.headers.add(name: "host", value: target.hostHeader)
        for (name, value) in request.headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "content-length", value: String(request.body.count))
        do {
            if let idle = pool.take(target.origin) {
                do {
                    return respond(try await exchange(on: idle, head: head, body: request.body, deadline: deadline), elapsed())
                } catch let error where Self.isStaleConnection(error) {
                    // The receiver closed this idle connection as the POST
                    // went out: once more on a new connection (the
                    // `webhook-id` is the same, so a receiver that did see
                    // it can tell).
                }
            }
            let connection = try await connect(target.origin, deadline: deadline)
            return respond(try await exchange(on: connection, head: head, body: request.body, deadline: deadline), elapsed())
        } catch {
            return WebhookResponse(status: nil, error: describe(error, origin: target.origin, timeout: timeout), durationMs: elapsed())
        }
    }

    /// Closes the idle connections.
    public func shutdown() async {
        pool.shutdown()
    }

    private func connect(_ origin: WebhookTarget.Origin, deadline: NIODeadline) async throws -> WebhookConnection {
        do {
            return try await connector.connect(to: origin, deadline: deadline)
        } catch {
            logger.info("webhook target not connected", metadata: ["target": "\(origin)", "reason": "\(describe(error, origin: origin, timeout: nil))"])
            throw error
        }
    }

    private func exchange(
        on connection: WebhookConnection, head: HTTPRequestHead, body: WebhookRequest.Body, deadline: NIODeadline
    ) async throws -> ExchangeResult {
        do {
            let outcome = try await connection.exchange(head: head, body: body, deadline: deadline)
            if outcome.result.reusable, outcome.sentAll { pool.put(connection) } else { connection.close() }
            return outcome.result
        } catch {
            connection.close()
            throw error
        }
    }

    private func respond(_ result: ExchangeResult, _ durationMs: Int) -> WebhookResponse {
        WebhookResponse(status: result.status, retryAfter: result.retryAfter, durationMs: durationMs)
    }

    /// A pooled connection that the peer had closed: nothing of a response came.
    private static func isStaleConnection(_ error: any Error) -> Bool {
        switch error {
        case ExchangeFailure.closedBeforeAnswer: true
        case let error as IOError: error.errnoCode == ECONNRESET || error.errnoCode == EPIPE
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed: true
        default: false
        }
    }

    private func describe(_ error: any Error, origin: WebhookTarget.Origin, timeout: Duration?) -> String {
        let timedOut = timeout.map { "timed out after \(Int($0 / .milliseconds(1))) ms" } ?? "timed out"
        switch error {
        case let refusal as EgressRefusal:
            return refusal.reason
        case let unavailable as TLSUnavailable:
            return unavailable.description
        case ExchangeFailure.timedOut:
            return timedOut
        case let failure as ConnectFailure:
            if case ChannelError.connectTimeout = failure.underlying { return timedOut }
            return "connection to \(origin) failed: \(failure)"
        case ExchangeFailure.closedBeforeAnswer, ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed:
            return "the endpoint closed the connection without an answer"
        case let error as NIOSSLError:
            return "TLS with the endpoint failed: \(Self.tlsReason(error))"
        case let error as NIOSSLExtraError:
            return "TLS with the endpoint failed: \(error)"
        case is CancellationError:
            return "cancelled (shutting down)"
        default:
            return "\(error)"
        }
    }

    /// The OpenSSL reason of a handshake failure (`CERTIFICATE_VERIFY_FAILED`),
    /// else the error as NIOSSL describes it.
    private static func tlsReason(_ error: NIOSSLError) -> String {
        let text = "\(error)"
        guard let range = text.firstRange(of: "OPENSSL_internal:") else { return text }
        return String(text[range.upperBound...].prefix { $0.isLetter || $0 == "_" || $0.isNumber })
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }
}
