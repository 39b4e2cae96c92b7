import Dispatch
public import Hummingbird
import Metrics
import Synchronization

/// Hummingbird's HTTP request metrics under the names and dimensions of its
/// own `MetricsMiddleware` (`hb.requests`, `http.server.request.duration`,
/// `hb.request.errors`, `http.server.active_requests`), recorded when the
/// response is ready rather than after its last byte went out.
///
/// Why not Hummingbird's: it records after the write by wrapping every
/// response body in a closure, and a closure body leaves Hummingbird's
/// one-write path for head, body and end — each becomes its own hop to the
/// event loop and its own `write(2)`, three instead of one `writev(2)` per
/// response. On `GET /webhooks` that was a third of the request's CPU
/// (docs/PERFORMANCE.md, "REST (issue 15)"). The duration now ends when the
/// handler returns, so it leaves out only the socket write.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let cache = RequestMetricsCache()

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        let active = cache.active(method: request.method)
        active.increment()
        defer { active.decrement() }
        do {
            let response = try await next(request, context)
            let metrics = cache.endpoint(path: context.endpointPath ?? "Unknown", method: request.method, status: response.status)
            metrics.requests.increment()
            metrics.duration.recordNanoseconds(DispatchTime.now().uptimeNanoseconds - start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let metrics = cache.endpoint(path: context.endpointPath ?? "NotFound", method: request.method, status: status)
            metrics.requests.increment()
            metrics.errors.increment()
            throw error
        }
    }
}

/// The metric objects of each method and each (route, method, status), made
/// once: swift-metrics' factory lookup by label and dimensions is the slow part.
final class RequestMetricsCache: Sendable {
    struct EndpointKey: Hashable {
        let path: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    struct EndpointMetrics: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
        let errors: Counter

        init(_ key: EndpointKey) {
            let route = ("http.route", key.path)
            let method = ("http.request.method", key.method.description)
            let status = key.status.code.description
            requests = Counter(label: "hb.requests", dimensions: [route, method, ("http.response.status_code", status)])
            duration = Metrics.Timer(
                label: "http.server.request.duration", dimensions: [route, method, ("http.response.status_code", status)],
                preferredDisplayUnit: .seconds
            )
            errors = Counter(label: "hb.request.errors", dimensions: [route, method, ("error.type", status)])
        }
    }

    private let actives = Mutex<[HTTPRequest.Method: Meter]>([:])
    private let endpoints = Mutex<[EndpointKey: EndpointMetrics]>([:])

    func active(method: HTTPRequest.Method) -> Meter {
        actives.withLock { cache in
            if let meter = cache[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.description)])
            cache[method] = meter
            return meter
        }
    }

    func endpoint(path: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> EndpointMetrics {
        let key = EndpointKey(path: path, method: method, status: status)
        return endpoints.withLock { cache in
            if let metrics = cache[key] { return metrics }
            let metrics = EndpointMetrics(key)
            cache[key] = metrics
            return metrics
        }
    }
}
