import ConduitCore
import ConduitStore
import Foundation
import Synchronization

extension DeliveryEngine {
    /// Inside the spool's write transaction (`SpoolEntry.admit`): leases the
    /// new deliveries that may start now, as a claim pass would — the same
    /// fields (`attempts` 1, `leasedUntil = nextAttemptAt` = now + lease),
    /// under the same limits, counted as running — and returns their claims,
    /// to be started once the commit is durable. The others stay pending,
    /// untouched, for the claim pass:
    /// - the engine has not yet re-offered a dead process's leases (at start),
    ///   or is stopping;
    /// - not due yet (a first-attempt delay), or already leased;
    /// - the webhook is gone or inactive (the pass drops or parks them);
    /// - the webhook already has mail due: that mail is older and goes first;
    /// - a claim pass stopped at the global limit (mail waits for a global
    ///   slot, and the pass hands those out in turn);
    /// - no free slot (global or the webhook's), or no rate-limit token.
    ///
    /// The scheduler state is read and changed inside the transaction, as
    /// in a claim pass: LMDB runs one write transaction at a time, so the
    /// two never decide on the same free slot. If the transaction is rolled
    /// back, the caller counts the claims off again (`release`).
    func leaseAtSpool(message: SpooledMessage, deliveries: inout [Delivery], in txn: WriteTransaction) throws -> [DeliveryClaim] {
        let now = Date()
        // Reads first (each webhook once), then the decisions under the lock.
        var webhooks: [String: Webhook] = [:]
        var seen: Set<String> = []
        for delivery in deliveries where Self.isNew(delivery, now: now) && seen.insert(delivery.webhookID).inserted {
            guard let webhook = try txn.reader.get(Webhook.self, id: delivery.webhookID), webhook.active,
                  try txn.reader.dueDeliveryIDs(ofWebhook: webhook.id, at: now, limit: 1).isEmpty
            else { continue }
            webhooks[webhook.id] = webhook
        }
        guard !webhooks.isEmpty else { return [] }
        let admitted: [Int] = state.withLock { state in
            guard state.leasesRecovered, !state.stopping, !state.globalBacklog else { return [] }
            var plan = ClaimPlan(state: state, settings: settings, now: now)
            let admitted = deliveries.indices.filter { index in
                let delivery = deliveries[index]
                guard Self.isNew(delivery, now: now), let webhook = webhooks[delivery.webhookID] else { return false }
                return plan.admit(webhook)
            }
            state.inFlight = plan.inFlight
            state.total = plan.total
            for (webhookID, bucket) in plan.buckets { state.buckets[webhookID] = bucket }
            return admitted
        }
        let leaseEnd = now.addingTimeInterval(settings.leaseDuration.seconds)
        return admitted.map { index in
            deliveries[index].attempts += 1
            deliveries[index].leasedUntil = leaseEnd
            deliveries[index].nextAttemptAt = leaseEnd
            deliveries[index].updatedAt = now
            // What the attempt needs, from this transaction: no read-back.
            return DeliveryClaim(delivery: deliveries[index], webhook: webhooks[deliveries[index].webhookID]!, message: message)
        }
    }

    /// A delivery the spool is about to write for the first time, due now.
    private static func isNew(_ delivery: Delivery, now: Date) -> Bool {
        delivery.state == .pending && delivery.leasedUntil == nil && delivery.nextAttemptAt <= now
    }

    /// Starts the attempts of deliveries leased at spool time, once their
    /// transaction is durable. After shutdown began none starts: their
    /// leases stay on disk and the next start re-offers them.
    func startLeased(_ claims: [DeliveryClaim]) {
        for claim in claims where start(claim) == nil {
            release([claim])
        }
    }
}

/// The claims one spool entry's transaction leased (`SpoolEntry.admit`),
/// kept for the caller of the commit. A retried entry runs `admit` again in
/// a new transaction (the first was rolled back): the claims of the earlier
/// run are counted off before the new ones are taken.
final class SpoolLease: Sendable {
    private let claims = Mutex<[DeliveryClaim]>([])
    let engine: DeliveryEngine

    init(engine: DeliveryEngine) {
        self.engine = engine
    }

    /// The hook for `SpoolEntry.admit`.
    var admit: @Sendable (SpooledMessage, inout [Delivery], WriteTransaction) throws -> Void {
        { [self] message, deliveries, txn in
            engine.release(take())
            let leased = try engine.leaseAtSpool(message: message, deliveries: &deliveries, in: txn)
            claims.withLock { $0 = leased }
        }
    }

    /// The claims of the last run, handed over once (the commit's outcome
    /// decides what becomes of them: started, or counted off).
    func take() -> [DeliveryClaim] {
        claims.withLock { claims in
            defer { claims = [] }
            return claims
        }
    }
}
