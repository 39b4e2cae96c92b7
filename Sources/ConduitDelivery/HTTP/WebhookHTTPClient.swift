import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// The one shared HTTP client every webhook POST goes through
/// (AsyncHTTPClient: a connection pool per target, keep-alive reuse). It
/// never follows redirects (3xx is a failure, docs/DELIVERY.md), and it reaches
/// targets only through the `EgressProxy`, which does the SSRF check.
public final class WebhookHTTPClient: Sendable {
    private let client: HTTPClient
    private let proxy: EgressProxy
    private let logger: Logger
    /// How much of a response body is read (and thrown away) before the
    /// connection is dropped instead of reused.
    static let maxDrainBytes = 64 * 1024

    public init(proxy: EgressProxy, timeout: Duration, maxConnectionsPerHost: Int, logger: Logger) {
        let amount = TimeAmount.milliseconds(Int64(timeout / .milliseconds(1)))
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: amount, read: amount),
            proxy: .server(host: "127.0.0.1", port: proxy.port, authorization: .basic(username: proxy.username, password: proxy.password))
        )
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, maxConnectionsPerHost))
        // A failed connect (refused, TLS, an SSRF refusal) ends the attempt
        // at once with its reason; the delivery's own retry schedule decides
        // when to try again, instead of the pool retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.proxy = proxy
        self.logger = logger
    }

    /// POSTs `request`, giving up after `timeout`. Never throws: every
    /// failure becomes a `WebhookResponse` without a status.
    public func post(_ request: WebhookRequest, timeout: Duration) async -> WebhookResponse {
        let start = ContinuousClock.now
        func elapsed() -> Int { Int((ContinuousClock.now - start) / .milliseconds(1)) }
        var http = HTTPClientRequest(url: request.url)
        http.method = .POST
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        switch request.body {
        case let .bytes(bytes):
            http.body = .bytes(ByteBuffer(bytes: bytes))
        case let .stream(stream, length):
            // Pass 2: the same chunks again, pulled as the connection takes
            // them (AsyncHTTPClient asks for the next one when the last is written).
            http.body = .stream(PayloadChunks(stream: stream), length: .known(Int64(length)))
        }
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout / .milliseconds(1)))
        do {
            let response = try await client.execute(http, deadline: deadline, logger: logger)
            let status = Int(response.status.code)
            let retryAfter = response.headers.first(name: "retry-after")
            // Read what is left so the connection can serve the next POST;
            // a large answer is cut off (and its connection closed).
            var drained = 0
            for try await chunk in response.body {
                drained += chunk.readableBytes
                if drained > Self.maxDrainBytes { break }
            }
            return WebhookResponse(status: status, retryAfter: retryAfter, durationMs: elapsed())
        } catch {
            return WebhookResponse(status: nil, error: describe(error, url: request.url, timeout: timeout), durationMs: elapsed())
        }
    }

    /// Closes the pool's connections.
    public func shutdown() async {
        try? await client.shutdown()
    }

    private func describe(_ error: any Error, url: String, timeout: Duration) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .invalidProxyResponse:
                return tunnelFailure(url) ?? "the egress proxy refused the connection"
            case .remoteConnectionClosed:
                return tunnelFailure(url) ?? "the endpoint closed the connection without an answer"
            case .deadlineExceeded, .readTimeout, .connectTimeout:
                return "timed out after \(Int(timeout / .milliseconds(1))) ms"
            case .invalidURL:
                return "invalid target URL"
            default:
                return "\(error)"
            }
        }
        if let error = error as? NIOSSLError {
            return "TLS with the endpoint failed: \(Self.tlsReason(error))"
        }
        if error is CancellationError { return "cancelled (shutting down)" }
        return "\(error)"
    }

    /// The OpenSSL reason of a handshake failure (`CERTIFICATE_VERIFY_FAILED`),
    /// else the error as NIOSSL describes it.
    private static func tlsReason(_ error: NIOSSLError) -> String {
        let text = "\(error)"
        guard let range = text.range(of: "OPENSSL_internal:") else { return text }
        return String(text[range.upperBound...].prefix { $0.isLetter || $0 == "_" || $0.isNumber })
    }

    /// The proxy's reason for refusing or failing the tunnel to `url`'s host.
    private func tunnelFailure(_ url: String) -> String? {
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        return proxy.failureReason(host: host, port: port)
    }
}
