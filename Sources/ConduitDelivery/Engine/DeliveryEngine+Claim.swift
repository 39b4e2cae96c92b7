import ConduitCore
import ConduitStore
import Foundation
import Synchronization

extension DeliveryEngine {
    struct Pass {
        var claims: [DeliveryClaim]
        /// The earliest `nextAttemptAt` still pending after the pass.
        var nextDue: Date?
        /// What the pass read: index entries (webhooks and due deliveries)
        /// and webhook records; what its cost grows with, for tests.
        var entriesRead = 0
    }

    /// One scheduling pass, in one write transaction: visits the webhooks
    /// that have pending mail (`due_by_webhook`, one seek each, which also
    /// tells when its earliest is due) and, for each that has mail due and
    /// may start a POST, reads only as many of its due deliveries as it
    /// may start (most overdue first), leasing those that may start now. The
    /// others are left or moved, each for its reason:
    /// - the webhook is gone: its deliveries are dropped (its log went with it);
    /// - the webhook is inactive: tried again after `retry_max` (until max age);
    /// - the webhook has `max_in_flight_per_webhook` POSTs running: not read
    ///   at all (one seek steps over its whole backlog), so a busy webhook
    ///   costs a pass neither reads nor writes;
    /// - its rate limit has no token: moved to when a token will be there,
    ///   spaced by the rate, so the waiting ones are not re-read every pass.
    ///
    /// At most `batchSize` index entries per pass (a quarter of them
    /// webhooks). A pass that stops early (the global in-flight limit, that
    /// budget, more webhooks than it lists) leaves a cursor at the last
    /// webhook it finished, and the next one goes on after it (wrapping to
    /// the first webhook), so webhooks take turns at free slots and one with
    /// a deep backlog never hides another's mail.
    func claimDue(now: Date) throws -> Pass {
        guard !state.withLock({ $0.stopping }) else { return Pass(claims: [], nextDue: nil) }
        let held = heldBack()
        // A quarter of the budget for webhooks (a seek each), the rest for
        // deliveries (a cursor step and a record read each).
        let webhookLimit = max(1, settings.batchSize / 4)
        let deliveryBudget = max(1, settings.batchSize - webhookLimit)
        // Counted as running inside the transaction; counted off again if
        // it is rolled back (its leases are not on disk).
        var counted: [DeliveryClaim] = []
        let pass: Pass
        do { pass = try store.write(durable: false) { txn in
            // The state is read, and the claims counted, inside the write
            // transaction: spool-time leases are decided inside one too, so
            // LMDB's one writer at a time orders them, and neither starts a
            // POST past a limit because it did not see the other's.
            let snapshot = state.withLock { $0 }
            var plan = ClaimPlan(state: snapshot, settings: settings, now: now)
            let reader = txn.reader
            // At the global limit nothing can start: no webhook is read.
            var webhooks = plan.atGlobalLimit ? []
                : try reader.webhooksWithPendingDeliveries(after: snapshot.webhookCursor, limit: webhookLimit)
            if !plan.atGlobalLimit, webhooks.count < webhookLimit, let cursor = snapshot.webhookCursor {
                // The end came first: wrap to the start, up to where this sweep began.
                let head = try reader.webhooksWithPendingDeliveries(after: nil, limit: webhookLimit - webhooks.count)
                webhooks += head.prefix { $0.id <= cursor }
            }
            var read = 0
            var webhookRecords = 0
            var claims: [DeliveryClaim] = []
            var finished: String?
            var stoppedEarly = plan.atGlobalLimit || webhooks.count == webhookLimit
            for pending in webhooks {
                if plan.atGlobalLimit || read >= deliveryBudget {
                    stoppedEarly = true
                    break
                }
                let webhookID = pending.id
                defer { finished = webhookID }
                // Busy, or all its mail waits for later: nothing more is read.
                guard !plan.isBusy(webhookID), pending.earliestAttempt <= now else { continue }
                let webhook = try reader.get(Webhook.self, id: webhookID)
                webhookRecords += 1
                // Deliveries held back (their outcome was not written) are
                // skipped after reading, so then read all that are due.
                let left = deliveryBudget - read
                let wanted = held == nil ? plan.wanted(of: webhookID, webhook: webhook, left: left) : left
                let ids = try reader.dueDeliveryIDs(ofWebhook: webhookID, at: now, limit: wanted)
                read += ids.count
                for id in ids {
                    if plan.atGlobalLimit { break }
                    if let held, held.isHeld(id, now: now) { continue }
                    guard let delivery = try reader.get(Delivery.self, id: id) else { continue }
                    if let claim = try plan.consider(delivery, webhook: webhook, in: txn) { claims.append(claim) }
                }
            }
            let next = try reader.earliestPendingAttempt()
            // A sweep that saw every webhook starts from the first next time;
            // one cut short (limits, budget, more webhooks than it lists)
            // goes on after the last webhook it finished.
            let cursor = stoppedEarly ? finished ?? snapshot.webhookCursor : nil
            adopt(claims, plan: plan, cursor: .some(cursor), globalBacklog: plan.atGlobalLimit)
            // Left due (a busy webhook's, cut short): finished attempts wake the loop.
            let leftDue = stoppedEarly || next.map { $0 <= now } ?? false
            state.withLock { $0.claimWanted = leftDue }
            counted = claims
            return Pass(claims: claims, nextDue: next, entriesRead: webhooks.count + webhookRecords + read)
        } } catch {
            release(counted)
            throw error
        }
        startedFirstAttempts(pass.claims)
        return pass
    }

    /// After the claiming transaction committed: first attempts make room
    /// for their webhook's waiting senders (`InflowControl`). A redelivery
    /// was never counted in (the intake counts only new mail), so its first
    /// attempt does not count out.
    private func startedFirstAttempts(_ claims: [DeliveryClaim]) {
        for claim in claims where claim.delivery.attempts == 1 && claim.delivery.redeliveryOf == nil {
            inflow.started(claim.webhook.id)
        }
    }

    /// Counts off claims whose leases were rolled back (never started).
    func release(_ claims: [DeliveryClaim]) {
        guard !claims.isEmpty else { return }
        state.withLock { state in
            for claim in claims { state.finished(webhookID: claim.webhook.id) }
        }
    }

    /// Leases the due deliveries of one message for the inline first
    /// attempt (same rules as a pass, without deferring anything).
    func claimMessage(_ messageID: String, now: Date) throws -> [DeliveryClaim] {
        guard !state.withLock({ $0.stopping }) else { return [] }
        let held = heldBack()
        var counted: [DeliveryClaim] = []
        let claims: [DeliveryClaim]
        do { claims = try store.write(durable: false) { txn in
            // Read and counted inside the transaction, as in `claimDue`.
            var plan = ClaimPlan(state: state.withLock { $0 }, settings: settings, now: now)
            let claims = try txn.reader.deliveries(ofMessage: messageID)
                .filter { $0.state == .pending && $0.nextAttemptAt <= now && held?.isHeld($0.id, now: now) != true }
                .compactMap { try plan.consider($0, webhook: txn.reader.get(Webhook.self, id: $0.webhookID), in: txn) }
            adopt(claims, plan: plan, cursor: nil, globalBacklog: nil)
            counted = claims
            return claims
        } } catch {
            release(counted)
            throw error
        }
        startedFirstAttempts(claims)
        return claims
    }

    /// The deliveries held back because their outcome could not be written,
    /// or `nil` when there are none (the common case costs no copy).
    private func heldBack() -> UnrecordedBackoff? {
        unrecorded.withLock { $0.isEmpty ? nil : $0 }
    }

    /// Inside the claiming transaction, before it commits: counts the
    /// claims as running (counted off again if the commit fails) and keeps
    /// the plan's token buckets; `cursor` (when given) is the webhook after
    /// which the next pass goes on; `globalBacklog` (when given), whether
    /// the pass stopped at the global limit.
    private func adopt(_ claims: [DeliveryClaim], plan: ClaimPlan, cursor: String??, globalBacklog: Bool?) {
        state.withLock { state in
            if let cursor { state.webhookCursor = cursor }
            if let globalBacklog { state.globalBacklog = globalBacklog }
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
            guard let last else {
                state.withLock { $0.leasesRecovered = true }
                return recovered
            }
            after = last
        }
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
