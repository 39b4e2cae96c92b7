import ConduitCore

/// What the SMTP client hears about a message the spool took
/// (`MessageSpool.accept`): the one verdict of the intake and of the inline
/// first attempt (docs/DELIVERY.md, "The inline first attempt").
public enum SpoolVerdict: Sendable, Equatable {
    /// Answer 250: delivered, or retries go on from the spool.
    case accepted
    /// Answer 550: every delivery of the message failed permanently.
    case rejected(status: Int?, reason: String)

    /// The verdict once the inline attempts are over: 550 only when every
    /// delivery the message still has (`states`, read from the store after
    /// the attempts) is over for good, failed or dead. Any delivery still
    /// pending — one the inline pass did not claim (rate limit, busy webhook),
    /// one retrying, one whose outcome could not be recorded — may yet be
    /// delivered, so the message is accepted. No deliveries left means all
    /// were delivered (the message left the spool). The reason is the first
    /// permanent failure among the inline `reports`.
    static func of(reports: [AttemptReport?], states: [Delivery.State]) -> SpoolVerdict {
        guard !states.isEmpty, states.allSatisfy({ $0 == .failed || $0 == .dead }) else { return .accepted }
        var rejection: SpoolVerdict?
        for case let report? in reports {
            switch report.outcome {
            case let .failed(status, reason, _):
                return .rejected(status: status, reason: reason)
            case let .retry(status, reason, _):
                // Retryable, yet over for good: it outlived max_age_hours.
                rejection = rejection ?? .rejected(status: status, reason: reason)
            case .delivered:
                continue
            }
        }
        return rejection ?? .accepted
    }
}
