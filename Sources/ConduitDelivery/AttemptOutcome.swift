/// What one POST to a webhook came to, and what happens next (docs/DELIVERY.md, "Retries").
public enum AttemptOutcome: Equatable, Sendable {
    /// 2xx: delivered.
    case delivered(status: Int)
    /// Try again later: timeouts, connection errors, 408, 429, 5xx.
    /// `retryAfter` is the endpoint's `Retry-After`, already bounded.
    case retry(status: Int?, reason: String, retryAfter: Duration?)
    /// Permanent: 3xx (redirects are not followed), other 4xx.
    /// `deactivate` for 410 Gone, which also switches the webhook off.
    case failed(status: Int?, reason: String, deactivate: Bool)

    /// Classifies an HTTP response.
    /// - Parameter retryAfter: the raw `Retry-After` header, if any.
    public static func classify(status: Int, retryAfter: String?, now: Double) -> AttemptOutcome {
        switch status {
        case 200..<300:
            return .delivered(status: status)
        case 408, 429, 500..<600:
            return .retry(status: status, reason: "HTTP \(status)", retryAfter: retryAfter.flatMap { RetryAfter.parse($0, now: now) })
        case 410:
            return .failed(status: status, reason: "HTTP 410 Gone: webhook deactivated", deactivate: true)
        case 300..<400:
            return .failed(status: status, reason: "HTTP \(status): redirects are not followed", deactivate: false)
        default:
            return .failed(status: status, reason: "HTTP \(status)", deactivate: false)
        }
    }
}
