import ConduitCore
import ConduitStore
import Foundation
import Synchronization

extension DeliveryEngine {
    struct Pass {
        var claims: [DeliveryClaim]
        /// The earliest `nextAttemptAt` still pending after the pass.
        var nextDue: Date?
    }

    /// One scheduling pass, in one write transaction: sweeps up to
    /// `batchSize` entries of the due index and leases the deliveries that
    /// may start now. The others are left or moved, each for its reason:
    /// - the webhook is gone: the delivery is dropped (its log went with it);
    /// - the webhook is inactive: tried again after `retry_max` (until max age);
    /// - the webhook has `max_in_flight_per_webhook` POSTs running: left as it
    ///   is — and not even read when the engine already knows its webhook
    ///   (one cursor step), so a backlog costs no writes;
    /// - its rate limit has no token: moved to when a token will be there,
    ///   spaced by the rate, so the waiting ones are not re-read every pass.
    ///
    /// A pass that reads a full window leaves a cursor, and the next one goes
    /// on from there (wrapping to the start at the end): the sweep reaches
    /// every due delivery, so a webhook with a deep backlog never hides
    /// another webhook's mail behind it. Within a window, most overdue first.
    func claimDue(now: Date) throws -> Pass {
        let snapshot = state.withLock { $0 }
        guard !snapshot.stopping else { return Pass(claims: [], nextDue: nil) }
        var plan = ClaimPlan(state: snapshot, settings: settings, now: now)
        let held = heldBack()
        let window = settings.batchSize
        let (pass, cursor) = try webhookOfDelivery.withLock { known in try store.write(durable: false) { txn in
            if known.count > Self.maxRemembered { known.removeAll(keepingCapacity: true) }
            var entries = try txn.reader.dueEntries(at: now, after: snapshot.dueCursor, limit: window)
            if entries.count < window, let cursor = snapshot.dueCursor {
                // The end came first: wrap to the start, up to where this sweep began.
                let head = try txn.reader.dueEntries(at: now, after: nil, limit: window - entries.count)
                entries += head.prefix { $0.key.lexicographicallyPrecedes(cursor) || $0.key == cursor }
            }
            var claims: [DeliveryClaim] = []
            for entry in entries {
                if plan.atGlobalLimit { break }
                if let held, held.isHeld(entry.id, now: now) { continue }
                if let webhookID = known[entry.id], plan.isBusy(webhookID) { continue }
                guard let delivery = try txn.reader.get(Delivery.self, id: entry.id) else { continue }
                known[delivery.id] = delivery.webhookID
                if let claim = try plan.consider(delivery, in: txn) { claims.append(claim) }
            }
            let next = try txn.reader.dueDeliveries(at: .distantFuture, limit: 1).first?.nextAttemptAt
            return (Pass(claims: claims, nextDue: next), entries.count == window ? entries.last?.key : nil)
        } }
        adopt(pass.claims, plan: plan, cursor: .some(cursor))
        return pass
    }

    /// Leases the due deliveries of one message for the inline first
    /// attempt (same rules as a pass, without deferring anything).
    func claimMessage(_ messageID: String, now: Date) throws -> [DeliveryClaim] {
        let snapshot = state.withLock { $0 }
        guard !snapshot.stopping else { return [] }
        var plan = ClaimPlan(state: snapshot, settings: settings, now: now)
        let held = heldBack()
        let claims = try store.write(durable: false) { txn in
            try txn.reader.deliveries(ofMessage: messageID)
                .filter { $0.state == .pending && $0.nextAttemptAt <= now && held?.isHeld($0.id, now: now) != true }
                .compactMap { try plan.consider($0, in: txn) }
        }
        adopt(claims, plan: plan, cursor: nil)
        return claims
    }

    /// The deliveries held back because their outcome could not be written,
    /// or `nil` when there are none (the common case costs no copy).
    private func heldBack() -> UnrecordedBackoff? {
        unrecorded.withLock { $0.isEmpty ? nil : $0 }
    }

    /// After the claiming transaction committed (the leases are on disk):
    /// counts the claims as running and keeps the plan's token buckets;
    /// `cursor` (when given) is where the next pass goes on.
    private func adopt(_ claims: [DeliveryClaim], plan: ClaimPlan, cursor: [UInt8]??) {
        state.withLock { state in
            if let cursor { state.dueCursor = cursor }
            for claim in claims {
                state.inFlight[claim.webhook.id, default: 0] += 1
                state.total += 1
            }
            for (webhookID, bucket) in plan.buckets { state.buckets[webhookID] = bucket }
        }
    }

    /// At start: every delivery still leased was in flight in a process that
    /// is gone; make it due now. Returns how many.
    func recoverLeases(now: Date) throws -> Int {
        var recovered = 0
        var after: String?
        while true {
            let (page, last) = try store.read { txn in
                let page = try txn.scan(Delivery.self, newestFirst: false, after: after, limit: 1000)
                return (page.filter { $0.state == .pending && $0.leasedUntil != nil }, page.last?.id)
            }
            if !page.isEmpty {
                try store.write { txn in
                    for var delivery in page {
                        delivery.leasedUntil = nil
                        delivery.nextAttemptAt = now
                        delivery.updatedAt = now
                        try txn.update(delivery)
                    }
                }
                recovered += page.count
            }
            guard let last else { return recovered }
            after = last
        }
    }
}

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
        inFlight[webhookID, default: 0] >= settings.maxInFlightPerWebhook
    }

    mutating func consider(_ candidate: Delivery, in txn: WriteTransaction) throws -> DeliveryClaim? {
        var delivery = candidate
        guard let message = try txn.reader.get(SpooledMessage.self, id: delivery.messageID) else {
            _ = try txn.delete(Delivery.self, id: delivery.id)
            return nil
        }
        guard let webhook = try txn.reader.get(Webhook.self, id: delivery.webhookID) else {
            _ = try txn.delete(Delivery.self, id: delivery.id)
            try DeliveryRecorder.removeMessageIfDone(message.id, in: txn)
            return nil
        }
        if !webhook.active {
            try park(&delivery, message: message, webhook: webhook, in: txn)
            return nil
        }
        if isBusy(webhook.id) { return nil }
        if webhook.rateLimit > 0 {
            var bucket = buckets[webhook.id] ?? existingBuckets[webhook.id].flatMap { $0.perMinute == webhook.rateLimit ? $0 : nil }
                ?? TokenBucket(perMinute: webhook.rateLimit, now: now.timeIntervalSince1970)
            let wait = bucket.take(now: now.timeIntervalSince1970)
            buckets[webhook.id] = bucket
            if let wait {
                let queued = rateDeferred[webhook.id, default: 0]
                rateDeferred[webhook.id] = queued + 1
                let spacing = 60.0 / Double(webhook.rateLimit)
                try postpone(&delivery, to: now.addingTimeInterval(wait.seconds + Double(queued) * spacing), in: txn)
                return nil
            }
        }
        let leaseEnd = now.addingTimeInterval(settings.leaseDuration.seconds)
        delivery.attempts += 1
        delivery.leasedUntil = leaseEnd
        delivery.nextAttemptAt = leaseEnd
        delivery.updatedAt = now
        try txn.update(delivery)
        inFlight[webhook.id, default: 0] += 1
        total += 1
        return DeliveryClaim(delivery: delivery, webhook: webhook, message: message)
    }

    private func postpone(_ delivery: inout Delivery, to date: Date, in txn: WriteTransaction) throws {
        delivery.nextAttemptAt = date
        delivery.updatedAt = now
        try txn.update(delivery)
    }

    /// An inactive webhook's mail waits (it may be switched back on) until max age.
    private func park(_ delivery: inout Delivery, message: SpooledMessage, webhook: Webhook, in txn: WriteTransaction) throws {
        let delay = settings.schedule.maximum
        let age = Duration.seconds(now.timeIntervalSince(message.receivedAt))
        if settings.schedule.allows(age: age, delay: delay) {
            try postpone(&delivery, to: now.addingTimeInterval(delay.seconds), in: txn)
            return
        }
        delivery.state = .dead
        delivery.leasedUntil = nil
        delivery.updatedAt = now
        try txn.update(delivery)
        try txn.insert(DeliveryRecorder.log(
            for: delivery, message: message, smtpMessageID: nil, attemptedAt: now, durationMs: 0, status: nil,
            error: "not delivered: the webhook stayed inactive until the message was older than max_age_hours"
        ))
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
