import ConduitCore
import ConduitStore
import Foundation

/// The outcome of an attempt, as store changes (docs/DELIVERY.md): the delivery's
/// new state, one log row, 410's deactivation, and the message kept or
/// leaving the spool once every delivery of it succeeded. Pure over a transaction.
struct DeliveryRecorder {
    let schedule: RetrySchedule
    /// `[delivery] keep_delivered_hours`: how long a delivered message stays
    /// for redelivery; zero removes it at once.
    var keepDelivered: Duration = .zero

    /// - Parameter logRow: `false` leaves the log row out, for an outcome
    ///   recorded in two transactions when the store is too full for one
    ///   (`recordLog` writes the row after).
    /// - Returns: the delivery's state after the attempt.
    func record(
        _ claim: DeliveryClaim, outcome: AttemptOutcome, response: WebhookResponse, smtpMessageID: String?,
        attemptedAt: Date, now: Date, random: Double, logRow: Bool = true, in txn: WriteTransaction
    ) throws -> Delivery.State {
        var error: String?
        var next: Delivery.State
        var retryAt: Date?
        var deactivate = false
        switch outcome {
        case .delivered:
            next = .delivered
        case let .retry(_, reason, retryAfter):
            let delay = schedule.delay(afterAttempts: claim.delivery.attempts, retryAfter: retryAfter, random: random)
            let age = Duration.seconds(now.timeIntervalSince(Self.ageOrigin(of: claim.delivery, message: claim.message)))
            if schedule.allows(age: age, delay: delay) {
                next = .pending
                retryAt = now.addingTimeInterval(delay.seconds)
                error = reason
            } else {
                next = .dead
                error = "\(reason); giving up after \(claim.delivery.attempts) attempts: the message is older than max_age_hours"
            }
        case let .failed(_, reason, gone):
            next = .failed
            error = reason
            deactivate = gone
        }

        // Still this attempt's lease? `attempts` is the lease's token: a later
        // claim would have raised it (dates are stored in milliseconds, so
        // `leasedUntil` does not compare equal to the in-memory value).
        if let stored = try txn.reader.get(Delivery.self, id: claim.delivery.id), stored.state == .pending,
           stored.leasedUntil != nil, stored.attempts == claim.delivery.attempts {
            var delivery = stored
            delivery.state = next
            delivery.leasedUntil = nil
            delivery.nextAttemptAt = retryAt ?? now
            delivery.updatedAt = now
            try txn.update(delivery, replacing: stored)
        }
        // Otherwise the lease was lost (it expired and another attempt took
        // over, or the delivery went away): that attempt owns the state, but
        // this one still happened and is logged.
        if logRow {
            try Self.recordLog(claim, response: response, smtpMessageID: smtpMessageID, attemptedAt: attemptedAt, error: error, in: txn)
        }
        if deactivate, var webhook = try txn.reader.get(Webhook.self, id: claim.webhook.id), webhook.active {
            webhook.active = false
            webhook.updatedAt = now
            try txn.update(webhook)
        }
        if next != .pending { try Self.settleMessage(claim.message.id, keep: keepDelivered, now: now, in: txn) }
        return next
    }

    /// The attempt's log row, unless its webhook is gone (deleting a webhook
    /// deletes its logs; a row written after would be an orphan).
    static func recordLog(
        _ claim: DeliveryClaim, response: WebhookResponse, smtpMessageID: String?, attemptedAt: Date, error: String?,
        in txn: WriteTransaction
    ) throws {
        guard try txn.reader.get(Webhook.self, id: claim.webhook.id) != nil else { return }
        try txn.insert(log(
            for: claim.delivery, message: claim.message, smtpMessageID: smtpMessageID, attemptedAt: attemptedAt,
            durationMs: response.durationMs, status: response.status, error: error
        ))
    }

    /// Moves the end of `claim`'s lease — and so the delivery's next
    /// attempt — to `date`, if the lease is still this attempt's. One record
    /// update and nothing inserted: what still fits when the store is too full
    /// for the outcome itself. Returns whether it changed the delivery.
    static func extendLease(_ claim: DeliveryClaim, until date: Date, now: Date, in txn: WriteTransaction) throws -> Bool {
        guard var delivery = try txn.reader.get(Delivery.self, id: claim.delivery.id), delivery.state == .pending,
              delivery.leasedUntil != nil, delivery.attempts == claim.delivery.attempts else { return false }
        delivery.leasedUntil = date
        delivery.nextAttemptAt = date
        delivery.updatedAt = now
        try txn.update(delivery)
        return true
    }

    /// A log row for one attempt of `delivery`.
    static func log(
        for delivery: Delivery, message: SpooledMessage, smtpMessageID: String?, attemptedAt: Date, durationMs: Int,
        status: Int?, error: String?
    ) -> DeliveryLog {
        DeliveryLog(
            id: Identifier.generate().rawValue, webhookID: delivery.webhookID, accountID: delivery.accountID,
            deliveryID: delivery.id, messageID: message.id, smtpMessageID: smtpMessageID, sender: message.mailFrom,
            attemptedAt: attemptedAt, durationMs: durationMs, httpStatus: status, error: error, simulated: false
        )
    }

    /// Where `max_age_hours` counts from: the message's arrival, or for a
    /// redelivery its creation (a replay of week-old mail gets a full retry
    /// window, not none).
    static func ageOrigin(of delivery: Delivery, message: SpooledMessage) -> Date {
        delivery.redeliveryOf == nil ? message.receivedAt : delivery.createdAt
    }

    /// After a delivery finished (docs/DELIVERY.md, "What stays in the
    /// spool"): a message whose deliveries are all delivered is kept for
    /// `keep` from `now` (one `spool_kept` entry: the cheap path, nothing
    /// deleted), or leaves the spool when `keep` is zero or it has no
    /// delivery left. One with a pending delivery waits for it; one with a
    /// failed or dead delivery stays (for redelivery and `conduit spool
    /// show`) until log retention removes it.
    static func settleMessage(_ messageID: String, keep: Duration, now: Date, in txn: WriteTransaction) throws {
        let deliveries = try txn.reader.deliveries(ofMessage: messageID)
        guard deliveries.allSatisfy({ $0.state == .delivered }) else { return }
        if keep > .zero, !deliveries.isEmpty {
            try txn.keepSpooledMessage(id: messageID, finishedAt: now, until: now.addingTimeInterval(keep.seconds))
        } else {
            try txn.removeSpooledMessage(id: messageID)
        }
    }
}
