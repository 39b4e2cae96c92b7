/// What one POST came back with: a status (and `Retry-After`) or no HTTP
/// answer at all, with why (docs/DELIVERY.md "Delivery log": `http_status: null` and an `error`).
public struct WebhookResponse: Sendable, Equatable {
    public var status: Int?
    public var retryAfter: String?
    /// Why no status came (timeout, refused, TLS, SSRF refusal); `nil` with a status.
    public var error: String?
    public var durationMs: Int

    public init(status: Int?, retryAfter: String? = nil, error: String? = nil, durationMs: Int) {
        self.status = status
        self.retryAfter = retryAfter
        self.error = error
        self.durationMs = durationMs
    }
}
