public import ConduitCore
public import ConduitStore
public import Foundation
public import Logging

/// Replays finished deliveries (docs/DELIVERY.md, "Redelivery"): each
/// replay is a new pending `Delivery` of the same message, webhook and
/// recipient, with its own id (`webhook-id`) and `redeliveryOf` naming the
/// delivery it repeats. The engine takes it like any other pending mail —
/// the webhook's rate limit and in-flight cap apply — once `wake` told it
/// something is due.
public final class RedeliveryService: Sendable {
    /// Messages one bulk call may replay; more is 422 before anything is written.
    public static let maxPerCall = 10_000
    /// Pending deliveries a webhook may have once a redelivery is queued: a
    /// tenant calling redeliver in a loop cannot pile up more than this.
    public static let maxPending = 10_000

    let store: Store
    let logger: Logger
    /// Tells the delivery engine new mail is due (`DeliveryEngine.notifySpooled`).
    let wake: @Sendable () -> Void
    let maxPerCall: Int
    let maxPending: Int
    /// Bulk calls run here, one at a time, off Swift's cooperative threads:
    /// a call may read every delivery of a webhook and write 10,000 (docs/DELIVERY.md).
    let bulkWork = BlockingWork(width: 1)

    public init(
        store: Store, logger: Logger, maxPerCall: Int = RedeliveryService.maxPerCall,
        maxPending: Int = RedeliveryService.maxPending, wake: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.logger = logger
        self.maxPerCall = maxPerCall
        self.maxPending = maxPending
        self.wake = wake
    }

    /// `POST /webhooks/{id}/logs/{logId}/redeliver`: replays the delivery
    /// the log row belongs to. 404 unless the row is this account's and this
    /// webhook's; 422 for a row that is no delivery attempt (a simulation, a
    /// recipient refused at ingress); 410 once the message left the spool;
    /// 409 while that delivery is still pending, the webhook is inactive, or
    /// it has `maxPending` deliveries pending.
    public func redeliver(accountID: String, webhookID: String, logID: String, now: Date = Date()) throws -> Delivery {
        guard Identifier(webhookID) != nil, Identifier(logID) != nil else { throw ResourceError.notFound }
        let delivery = try write { txn in
            let webhook = try Self.webhook(webhookID, of: accountID, in: txn.reader)
            guard let log = try txn.reader.get(DeliveryLog.self, id: logID), log.webhookID == webhookID, log.accountID == accountID else {
                throw ResourceError.notFound
            }
            guard !log.simulated, let deliveryID = log.deliveryID else {
                throw ResourceError.invalid(
                    code: "not_redeliverable",
                    message: "This log row is no delivery attempt (a simulation, or a recipient refused at ingress): there is nothing to redeliver"
                )
            }
            // A message leaves the spool with its deliveries, so either gone means the body is.
            guard let original = try txn.reader.get(Delivery.self, id: deliveryID),
                  try txn.reader.get(SpooledMessage.self, id: original.messageID) != nil else { throw Self.expired }
            try Self.checkActive(webhook)
            guard original.state != .pending else {
                throw ResourceError.conflict(
                    code: "delivery_pending", message: "The delivery is still pending; it can be redelivered once it is finished"
                )
            }
            try checkRoom(webhookID, adding: 1, in: txn.reader)
            let delivery = Self.redelivery(of: original, now: now)
            try txn.insert(delivery)
            return delivery
        }
        wake()
        logger.info("redelivery queued", metadata: [
            "account": "\(accountID)", "webhook": "\(webhookID)", "delivery": "\(delivery.id)", "redelivery_of": "\(delivery.redeliveryOf ?? "")",
        ])
        return delivery
    }

    /// `POST /webhooks/{id}/redeliver`: replays every message of the webhook
    /// that `filter` selects and that is still in the spool — one per
    /// message and recipient, judged by its latest delivery (so a failed
    /// message that a redelivery since delivered is no longer `failed`, and
    /// repeating a call does not double the replays). Returns how many were
    /// queued. 422 when more than `maxPerCall` match (checked before anything
    /// is written); 409 when the webhook is inactive or would have more than
    /// `maxPending` deliveries pending.
    ///
    /// The selection is read in one read transaction (one record read per
    /// delivery of the webhook created since `filter.since`, at most
    /// `maxPerCall` ids kept), then written in one write transaction that
    /// checks each again. Runs on a thread of its own, one bulk call at a
    /// time (`bulkWork`).
    public func redeliver(accountID: String, webhookID: String, filter: RedeliveryFilter, now: Date = Date()) async throws -> Int {
        try await bulkWork.run { try self.redeliverNow(accountID: accountID, webhookID: webhookID, filter: filter, now: now) }
    }

    /// `redeliver(accountID:webhookID:filter:)` on the calling thread.
    func redeliverNow(accountID: String, webhookID: String, filter: RedeliveryFilter, now: Date = Date()) throws -> Int {
        guard Identifier(webhookID) != nil else { throw ResourceError.notFound }
        let limit = maxPerCall
        let selected: [String] = try store.read { txn in
            try Self.checkActive(try Self.webhook(webhookID, of: accountID, in: txn))
            var ids: [String] = []
            var overLimit = false
            try txn.deliveries(ofWebhook: webhookID, createdFrom: filter.since) { delivery in
                guard filter.states.contains(delivery.state),
                      let message = try txn.get(SpooledMessage.self, id: delivery.messageID),
                      filter.contains(receivedAt: message.receivedAt),
                      try Self.isLatest(delivery, in: txn)
                else { return true }
                guard ids.count < limit else {
                    overLimit = true
                    return false
                }
                ids.append(delivery.id)
                return true
            }
            if overLimit {
                throw ResourceError.invalid(
                    code: "too_many_messages",
                    message: "More than \(limit) messages match; one call redelivers at most \(limit): narrow since and until"
                )
            }
            return ids
        }
        guard !selected.isEmpty else { return 0 }
        let count = try write { txn in
            try Self.checkActive(try Self.webhook(webhookID, of: accountID, in: txn.reader))
            try checkRoom(webhookID, adding: selected.count, in: txn.reader)
            var count = 0
            for id in selected {
                // Changed since the read: removed with its message, or replayed meanwhile.
                guard let original = try txn.reader.get(Delivery.self, id: id), original.state != .pending,
                      try Self.isLatest(original, in: txn.reader) else { continue }
                try txn.insert(Self.redelivery(of: original, now: now))
                count += 1
            }
            return count
        }
        if count > 0 { wake() }
        logger.info("bulk redelivery queued", metadata: [
            "account": "\(accountID)", "webhook": "\(webhookID)", "count": "\(count)",
            "status": "\(filter.states.map(\.rawValue).sorted().joined(separator: ","))",
        ])
        return count
    }

    /// A new pending delivery replaying `original`, due at `now`.
    static func redelivery(of original: Delivery, now: Date) -> Delivery {
        var delivery = Delivery(
            id: Identifier.generate().rawValue, messageID: original.messageID, webhookID: original.webhookID,
            accountID: original.accountID, rcptTo: original.rcptTo, tag: original.tag, nextAttemptAt: now, createdAt: now
        )
        delivery.redeliveryOf = original.id
        return delivery
    }

    /// Whether no later delivery of the same message to the same webhook
    /// and recipient exists (a redelivery supersedes what it replays).
    static func isLatest(_ delivery: Delivery, in txn: ReadTransaction) throws -> Bool {
        try !txn.deliveries(ofMessage: delivery.messageID).contains {
            $0.webhookID == delivery.webhookID && $0.rcptTo == delivery.rcptTo && $0.id > delivery.id
        }
    }

    static let expired = ResourceError.gone(
        code: "message_expired", message: "The message is no longer kept (delivery.keep_delivered_hours, log retention): it cannot be redelivered"
    )

    static func webhook(_ id: String, of accountID: String, in txn: ReadTransaction) throws -> Webhook {
        guard let webhook = try txn.get(Webhook.self, id: id), webhook.accountID == accountID else { throw ResourceError.notFound }
        return webhook
    }

    /// An inactive webhook's mail is parked and dies at max age: a replay
    /// into it would only wait (docs/DELIVERY.md, "Redelivery").
    static func checkActive(_ webhook: Webhook) throws {
        guard webhook.active else {
            throw ResourceError.conflict(code: "webhook_inactive", message: "The webhook is inactive; activate it before redelivering")
        }
    }

    func checkRoom(_ webhookID: String, adding count: Int, in txn: ReadTransaction) throws {
        let pending = try txn.pendingDeliveryCount(ofWebhook: webhookID, limit: maxPending + 1)
        guard pending + count <= maxPending else {
            throw ResourceError.conflict(
                code: "too_many_pending",
                message: "The webhook has \(pending) deliveries pending; a redelivery may bring it to at most \(maxPending)"
            )
        }
    }

    func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        do {
            return try store.write(body)
        } catch where StoreError.isStorageFull(error) {
            throw ResourceError.storageFull
        }
    }
}
