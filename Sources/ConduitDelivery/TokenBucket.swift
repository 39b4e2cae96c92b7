/// A webhook's `rate_limit` (deliveries per minute, docs/DELIVERY.md) as a token
/// bucket: it holds up to `perMinute` tokens, refills at `perMinute / 60`
/// per second, and a delivery takes one. A full bucket allows a burst of a
/// minute's worth, then the steady rate. Excess deliveries wait in the
/// spool (their attempt is scheduled for when a token will be there).
public struct TokenBucket: Sendable, Equatable {
    public let perMinute: Int
    private var tokens: Double
    private var updated: Double

    /// - Parameters: perMinute > 0; now in seconds (any monotonic origin).
    public init(perMinute: Int, now: Double) {
        precondition(perMinute > 0)
        self.perMinute = perMinute
        self.tokens = Double(perMinute)
        self.updated = now
    }

    /// Whole tokens there are at `now`, without taking any.
    public func available(now: Double) -> Int {
        let rate = Double(perMinute) / 60
        return Int(min(Double(perMinute), tokens + max(0, now - updated) * rate))
    }

    /// Takes a token if there is one (`nil`); otherwise how long until there
    /// will be, without taking anything.
    public mutating func take(now: Double) -> Duration? {
        let rate = Double(perMinute) / 60
        tokens = min(Double(perMinute), tokens + max(0, now - updated) * rate)
        updated = max(updated, now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return .milliseconds(Int64(((1 - tokens) / rate * 1000).rounded(.up)))
    }
}
