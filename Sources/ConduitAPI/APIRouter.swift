public import ConduitDomains
public import ConduitIdentity
public import ConduitWebhooks
public import Hummingbird
public import ConduitStore
public import Prometheus

/// Builds the HTTP router: the only place that lists every route.
public enum APIRouter {
    public static func build(
        identity: IdentityService,
        domains: DomainService,
        policies: PolicyService,
        webhooks: WebhookService,
        simulator: any WebhookSimulating,
        redeliveries: RedeliveryService,
        links: any PayloadLinkServing,
        health: any HealthReporting,
        metrics: PrometheusCollectorRegistry,
        headroom: StorageHeadroom? = nil,
        beforeScrape: @escaping @Sendable () -> Void = {}
    ) -> Router<ConduitRequestContext> {
        let router = Router(context: ConduitRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: RequestMetricsMiddleware())
        if let headroom { router.add(middleware: StorageReserveMiddleware(headroom: headroom)) }
        HealthController(health: health).addRoutes(to: router)
        MetricsController(registry: metrics, beforeScrape: beforeScrape).addRoutes(to: router)
        OpenAPIDocument.addRoutes(to: router)
        WebhookPayloadSchema.addRoutes(to: router)
        // Outside the bearer middleware: the token in the path is the credential.
        PayloadLinksController(links: links).addRoutes(to: router)

        let api = router.group("api/v1").add(middleware: BearerAuthMiddleware(identity: identity))
        let authenticated = api.group(context: AuthenticatedContext.self)
        SessionsController(identity: identity).addRoutes(public: api, authenticated: authenticated)
        AccountsController(identity: identity).addRoutes(public: api, authenticated: authenticated)
        TwoFactorController(identity: identity).addRoutes(authenticated: authenticated)
        APITokensController(identity: identity).addRoutes(authenticated: authenticated)
        DomainsController(domains: domains).addRoutes(authenticated: authenticated)
        PoliciesController(policies: policies).addRoutes(authenticated: authenticated)
        WebhooksController(webhooks: webhooks, simulator: simulator).addRoutes(authenticated: authenticated)
        RedeliveryController(redeliveries: redeliveries).addRoutes(authenticated: authenticated)
        return router
    }
}
