public import Hummingbird
public import Prometheus

/// Builds the HTTP router: operational endpoints now, the `/api/v1` resources
/// as their issues land. The only place that lists every route.
public enum APIRouter {
    public static func build(
        health: any HealthReporting,
        metrics: PrometheusCollectorRegistry,
        beforeScrape: @escaping @Sendable () -> Void = {}
    ) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: MetricsMiddleware())
        HealthController(health: health).addRoutes(to: router)
        MetricsController(registry: metrics, beforeScrape: beforeScrape).addRoutes(to: router)
        return router
    }
}
