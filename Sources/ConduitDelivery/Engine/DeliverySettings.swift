/// The `[delivery]` settings the engine runs with (README configuration reference, docs/DELIVERY.md).
public struct DeliverySettings: Sendable, Equatable {
    /// One POST's whole budget: connect, send, first byte of the answer.
    public var timeout: Duration
    /// Backoff and the retry window (`retry_initial_ms`, `retry_max_ms`, `max_age_hours`).
    public var schedule: RetrySchedule
    /// Concurrent POSTs to one webhook.
    public var maxInFlightPerWebhook: Int
    /// Concurrent POSTs in all.
    public var maxInFlight: Int
    /// Due-index entries a scheduling pass sweeps (a busy webhook's known
    /// deliveries cost a cursor step, others one record read).
    public var batchSize: Int
    /// `Conduit/x.y.z`.
    public var userAgent: String
    /// Flow control of new mail per webhook (`InflowControl`).
    public var inflow: InflowControl.Settings
    /// `keep_delivered_hours`: how long a delivered message stays in the
    /// spool for redelivery (zero: removed once delivered).
    public var keepDelivered: Duration
    /// `[api] public_url`: the base of the links in payloads cut to `max_payload_bytes`.
    public var linkBase: String

    public init(
        timeout: Duration, schedule: RetrySchedule, maxInFlightPerWebhook: Int, userAgent: String,
        maxInFlight: Int = 512, batchSize: Int = 1024, inflow: InflowControl.Settings = .init(),
        keepDelivered: Duration = .zero,
        linkBase: String = "http://127.0.0.1:8080"
    ) {
        self.inflow = inflow
        self.keepDelivered = keepDelivered
        self.linkBase = linkBase.hasSuffix("/") ? String(linkBase.dropLast()) : linkBase
        self.timeout = timeout
        self.schedule = schedule
        self.maxInFlightPerWebhook = max(1, maxInFlightPerWebhook)
        self.maxInFlight = max(1, maxInFlight)
        self.batchSize = max(1, batchSize)
        self.userAgent = userAgent
    }

    /// How long a lease lasts: the POST's budget plus time to record the
    /// outcome. Only a wedged worker outlives it (a crash is caught sooner:
    /// a restart re-offers every lease at once).
    var leaseDuration: Duration { timeout + .seconds(30) }
}
