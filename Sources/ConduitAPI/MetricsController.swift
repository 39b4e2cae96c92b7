public import Hummingbird
public import Prometheus

/// `GET /metrics` (no auth): the Prometheus text exposition of every metric
/// recorded through swift-metrics.
public struct MetricsController<Context: RequestContext>: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Refreshes gauges that are sampled rather than recorded (store usage).
    let beforeScrape: @Sendable () -> Void

    public init(registry: PrometheusCollectorRegistry, beforeScrape: @escaping @Sendable () -> Void = {}) {
        self.registry = registry
        self.beforeScrape = beforeScrape
    }

    public func addRoutes(to router: Router<Context>) {
        router.get("/metrics") { _, _ in self.respond() }
    }

    func respond() -> Response {
        beforeScrape()
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
