/// When a failed delivery is tried again (docs/DELIVERY.md, "Retries"): `initial`, doubling
/// with each attempt, capped at `maximum`, with "equal jitter" (half the
/// delay fixed, half random) so many messages failing together do not
/// return together; an endpoint's `Retry-After` replaces the computed delay.
/// Nothing is retried once the message is older than `maxAge`.
public struct RetrySchedule: Sendable, Equatable {
    public var initial: Duration
    public var maximum: Duration
    public var maxAge: Duration

    public init(initial: Duration, maximum: Duration, maxAge: Duration) {
        precondition(initial > .zero && maximum >= initial)
        self.initial = initial
        self.maximum = maximum
        self.maxAge = maxAge
    }

    /// The delay before the next attempt after `attempts` failed ones (≥ 1).
    /// - Parameter random: a value in 0..<1 (injected for tests).
    public func delay(afterAttempts attempts: Int, retryAfter: Duration? = nil, random: Double) -> Duration {
        if let retryAfter { return retryAfter }
        let exponent = min(max(attempts - 1, 0), 40)
        let base = min(initial * Double(1 << min(exponent, 30)), maximum)
        return base / 2 + base / 2 * min(max(random, 0), 1)
    }

    /// Whether a message received `age` ago may still be tried at `delay` from now.
    public func allows(age: Duration, delay: Duration) -> Bool {
        age + delay <= maxAge
    }
}
