import ConduitCore
import ConduitStore
import Foundation

/// The decisions of one pass, made against a copy of the scheduler state
/// and applied to it only after the transaction commits.
struct ClaimPlan {
    var inFlight: [String: Int]
    var total: Int
    var buckets: [String: TokenBucket] = [:]
    private var existingBuckets: [String: TokenBucket]
    private var rateDeferred: [String: Int] = [:]
    let settings: DeliverySettings
    let now: Date

    init(state: SchedulerState, settings: DeliverySettings, now: Date) {
        self.inFlight = state.inFlight
        self.total = state.total
        self.existingBuckets = state.buckets
        self.settings = settings
        self.now = now
    }

    var atGlobalLimit: Bool { total >= settings.maxInFlight }

    /// Whether every slot of the webhook is taken.
    func isBusy(_ webhookID: String) -> Bool {
        freeSlots(webhookID) == 0
    }

    /// How many more POSTs the webhook may have running.
    func freeSlots(_ webhookID: String) -> Int {
        max(0, settings.maxInFlightPerWebhook - inFlight[webhookID, default: 0])
    }

    /// How many of a webhook's due deliveries a pass should read, at most
    /// `left`: as many as it may start, unless every one it reads leads to a
    /// write anyway — the webhook is gone (dropped) or inactive (parked), or
    /// its rate limit has fewer tokens than free slots (the rest are spaced
    /// out by the rate, once, instead of being read again every pass).
    func wanted(of webhookID: String, webhook: Webhook?, left: Int) -> Int {
        guard let webhook, webhook.active else { return left }
        let free = freeSlots(webhookID)
        if webhook.rateLimit > 0, bucket(for: webhook).available(now: now.timeIntervalSince1970) < free { return left }
        return min(free, left)
    }

    /// Whether a new delivery to `webhook` (active, read in the spool
    /// transaction) may start now, under the same limits as a pass: a free
    /// global and per-webhook slot and, with a rate limit, a token (taken).
    /// When it may, the slot is counted here; when not, nothing is taken.
    mutating func admit(_ webhook: Webhook) -> Bool {
        guard webhook.active, !atGlobalLimit, !isBusy(webhook.id) else { return false }
        if webhook.rateLimit > 0 {
            var bucket = bucket(for: webhook)
            guard bucket.take(now: now.timeIntervalSince1970) == nil else { return false }
            buckets[webhook.id] = bucket
        }
        inFlight[webhook.id, default: 0] += 1
        total += 1
        return true
    }

    /// The webhook's token bucket as this pass sees it: taken from in this
    /// pass, else the engine's (unless its rate changed), else a full one.
    private func bucket(for webhook: Webhook) -> TokenBucket {
        buckets[webhook.id] ?? existingBuckets[webhook.id].flatMap { $0.perMinute == webhook.rateLimit ? $0 : nil }
            ?? TokenBucket(perMinute: webhook.rateLimit, now: now.timeIntervalSince1970)
    }

    /// Decides one due delivery; `webhook` is its webhook as read in this
    /// transaction (`nil`: deleted), read once for all its deliveries.
    mutating func consider(_ candidate: Delivery, webhook: Webhook?, in txn: WriteTransaction) throws -> DeliveryClaim? {
        var delivery = candidate
        guard let message = try txn.reader.get(SpooledMessage.self, id: delivery.messageID) else {
            _ = try txn.delete(Delivery.self, id: delivery.id)
            return nil
        }
        guard let webhook else {
            _ = try txn.delete(Delivery.self, id: delivery.id)
            try DeliveryRecorder.settleMessage(message.id, keep: settings.keepDelivered, now: now, in: txn)
            return nil
        }
        if !webhook.active {
            try park(&delivery, from: candidate, message: message, webhook: webhook, in: txn)
            return nil
        }
        if isBusy(webhook.id) { return nil }
        if webhook.rateLimit > 0 {
            var bucket = bucket(for: webhook)
            let wait = bucket.take(now: now.timeIntervalSince1970)
            buckets[webhook.id] = bucket
            if let wait {
                let queued = rateDeferred[webhook.id, default: 0]
                rateDeferred[webhook.id] = queued + 1
                let spacing = 60.0 / Double(webhook.rateLimit)
                try postpone(&delivery, from: candidate, to: now.addingTimeInterval(wait.seconds + Double(queued) * spacing), in: txn)
                return nil
            }
        }
        let leaseEnd = now.addingTimeInterval(settings.leaseDuration.seconds)
        delivery.attempts += 1
        delivery.leasedUntil = leaseEnd
        delivery.nextAttemptAt = leaseEnd
        delivery.updatedAt = now
        // `candidate` was read in this transaction: no second read.
        try txn.update(delivery, replacing: candidate)
        inFlight[webhook.id, default: 0] += 1
        total += 1
        return DeliveryClaim(delivery: delivery, webhook: webhook, message: message)
    }

    private func postpone(_ delivery: inout Delivery, from original: Delivery, to date: Date, in txn: WriteTransaction) throws {
        delivery.nextAttemptAt = date
        delivery.updatedAt = now
        try txn.update(delivery, replacing: original)
    }

    /// An inactive webhook's mail waits (it may be switched back on) until max age.
    private func park(
        _ delivery: inout Delivery, from original: Delivery, message: SpooledMessage, webhook: Webhook, in txn: WriteTransaction
    ) throws {
        let delay = settings.schedule.maximum
        let age = Duration.seconds(now.timeIntervalSince(DeliveryRecorder.ageOrigin(of: original, message: message)))
        if settings.schedule.allows(age: age, delay: delay) {
            try postpone(&delivery, from: original, to: now.addingTimeInterval(delay.seconds), in: txn)
            return
        }
        delivery.state = .dead
        delivery.leasedUntil = nil
        delivery.updatedAt = now
        try txn.update(delivery, replacing: original)
        try txn.insert(DeliveryRecorder.log(
            for: delivery, message: message, smtpMessageID: nil, attemptedAt: now, durationMs: 0, status: nil,
            error: "not delivered: the webhook stayed inactive until the message was older than max_age_hours"
        ))
    }
}
