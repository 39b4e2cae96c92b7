/// What `GET /healthz` reports. Healthy means the store is open and both
/// listeners are bound.
public struct HealthReport: Codable, Sendable, Equatable {
    public var store: Bool
    public var api: Bool
    public var smtp: Bool

    public init(store: Bool, api: Bool, smtp: Bool) {
        self.store = store
        self.api = api
        self.smtp = smtp
    }

    public var isHealthy: Bool { store && api && smtp }
}

/// The source of health: the composition root knows the store and listeners.
public protocol HealthReporting: Sendable {
    func currentHealth() -> HealthReport
}
