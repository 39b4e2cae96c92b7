public import Hummingbird
import FoundationEssentials

/// `GET /healthz` (no auth): 200 when healthy, 503 otherwise, with the parts.
public struct HealthController<Context: RequestContext>: Sendable {
    let health: any HealthReporting

    public init(health: any HealthReporting) {
        self.health = health
    }

    public func addRoutes(to router: Router<Context>) {
        router.get("/healthz") { _, _ in try self.respond() }
    }

    func respond() throws -> Response {
        let report = health.currentHealth()
        let body = Body(
            status: report.isHealthy ? "ok" : "unavailable",
            version: ConduitVersionInfo.version,
            store: report.store ? "open" : "closed",
            api: report.api ? "listening" : "down",
            smtp: report.smtp ? "listening" : "down"
        )
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: report.isHealthy ? .ok : .serviceUnavailable,
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(body)))
        )
    }

    struct Body: Encodable {
        let status: String
        let version: String
        let store: String
        let api: String
        let smtp: String
    }
}
