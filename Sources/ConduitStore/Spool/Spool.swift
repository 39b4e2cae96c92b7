public import ConduitCore
public import Foundation

/// Where the spool lives in a store, for schemas that include it.
public enum Spool {
    /// The raw database of message bodies: key = message id, value = the raw
    /// RFC 5322 bytes as received (not JSON).
    public static let bodiesDatabase = "spool_bodies"
    /// The spool's record types: messages, deliveries, delivery logs, and
    /// the links of payloads cut to a webhook's `max_payload_bytes`.
    public static let recordTypes: [any StoreRecord.Type] = [SpooledMessage.self, Delivery.self, DeliveryLog.self, PayloadLink.self]
    /// The spool's raw databases: bodies, each account's charge
    /// (`SpoolUsage`), and the delivered messages kept for redelivery
    /// (`SpoolKeep`, schema 6).
    public static let rawDatabases = [bodiesDatabase, SpoolUsage.database, SpoolKeep.database]
}

extension WriteTransaction {
    /// Writes a message, its body, its deliveries and its logs. Throws (and,
    /// when the caller lets the error end the transaction, writes nothing)
    /// when the message id exists or a record is invalid, and with
    /// `StoreError.quotaExceeded` (before writing anything) when the message
    /// would take an account of its recipients past `entry.accountQuotaBytes`.
    /// The stored `size` is the body's byte count; each recipient account is
    /// charged for it (`SpoolUsage`). `entry.admit` may change the
    /// deliveries before they are written.
    public func insert(_ entry: SpoolEntry) throws {
        var message = entry.message
        message.size = entry.body.count
        let charge = SpoolUsage.charge(bodySize: message.size)
        let accounts = SpoolUsage.accounts(of: message)
        if let quota = entry.accountQuotaBytes {
            // Checked inside the write transaction, so concurrent sessions
            // cannot all pass a check made before any of them committed.
            let over = try accounts.filter { try reader.spoolUsage(accountID: $0) + charge > quota }
            if !over.isEmpty { throw StoreError.quotaExceeded(accountIDs: over) }
        }
        try insert(message)
        try putRaw(database: Spool.bodiesDatabase, key: message.id, bytes: entry.body)
        for account in accounts { try adjustSpoolUsage(accountID: account, by: charge) }
        var deliveries = entry.deliveries
        try entry.admit?(message, &deliveries, self)
        for delivery in deliveries { try insert(delivery) }
        for log in entry.logs { try insert(log) }
    }

    /// Removes a spooled message, its body, its deliveries and its payload
    /// links; its delivery logs stay until log retention removes them. Returns the message, or
    /// `nil` when there was none.
    @discardableResult
    public func removeSpooledMessage(id: String) throws -> SpooledMessage? {
        guard let message = try delete(SpooledMessage.self, id: id) else { return nil }
        try deleteRaw(database: Spool.bodiesDatabase, key: id)
        for account in SpoolUsage.accounts(of: message) {
            try adjustSpoolUsage(accountID: account, by: -SpoolUsage.charge(bodySize: message.size))
        }
        for delivery in try reader.deliveries(ofMessage: id) { try delete(Delivery.self, id: delivery.id) }
        try removePayloadLinks(ofMessage: id)
        return message
    }
}

extension WriteTransaction {
    /// Removes up to `limit` spooled messages received before `cutoff` that
    /// have nothing left to deliver and a failed or dead delivery (their log
    /// rows are what retention keeps them for); oldest first. Messages whose
    /// deliveries are all delivered are `SpoolKeep`'s: they go when their
    /// keep time ends, whatever their age. Returns how many were removed.
    public func removeFinishedMessages(receivedBefore cutoff: Date, limit: Int) throws -> Int {
        var removed = 0
        var after: String?
        while removed < limit {
            let page = try reader.spooledMessages(after: after, limit: 200)
            guard let last = page.last else { break }
            for message in page {
                guard message.receivedAt < cutoff else { return removed }
                let deliveries = try reader.deliveries(ofMessage: message.id)
                let kept = !deliveries.isEmpty && deliveries.allSatisfy { $0.state == .delivered }
                if !kept, deliveries.allSatisfy({ $0.state != .pending }) {
                    try removeSpooledMessage(id: message.id)
                    removed += 1
                    if removed == limit { return removed }
                }
            }
            after = last.id
        }
        return removed
    }
}

extension ReadTransaction {
    /// The raw bytes of a spooled message, or `nil`.
    public func spooledBody(id: String) throws -> [UInt8]? {
        try raw(database: Spool.bodiesDatabase, key: id)
    }

    /// Spooled messages oldest first, starting after the id `after` (for paging).
    public func spooledMessages(after: String? = nil, limit: Int = .max) throws -> [SpooledMessage] {
        try scan(SpooledMessage.self, newestFirst: false, after: after, limit: limit)
    }

    /// The deliveries of one message, in creation order.
    public func deliveries(ofMessage messageID: String) throws -> [Delivery] {
        try list(Delivery.self, index: .byMessage, key: messageID)
    }

    /// The `due` index's entries at or before `now`, in order, starting
    /// after the index key `after` (a cursor for the next call): each entry's
    /// key and delivery id. No record is read, so a scheduler can skip
    /// deliveries it already knows it cannot start at the cost of a cursor step.
    public func dueEntries(at now: Date, after: [UInt8]?, limit: Int) throws -> [(key: [UInt8], id: String)] {
        let bound = Array(ExpiryKey.after(now).utf8)
        var entries: [(key: [UInt8], id: String)] = []
        guard limit > 0 else { return entries }
        try raw.scan("\(Delivery.tableName).\(IndexName<Delivery>.due)", after: after) { key, id in
            guard key.lexicographicallyPrecedes(bound) else { return false }
            entries.append((key, String(decoding: id, as: UTF8.self)))
            return entries.count < limit
        }
        return entries
    }

    /// Pending deliveries whose `nextAttemptAt` is at or before `now`, the
    /// most overdue first.
    public func dueDeliveries(at now: Date, limit: Int) throws -> [Delivery] {
        try list(Delivery.self, index: .due, below: ExpiryKey.after(now), limit: limit)
    }
}

extension Store {
    /// The raw bytes of a spooled message, or `nil`.
    public func spooledBody(id: String) throws -> [UInt8]? {
        try read { try $0.spooledBody(id: id) }
    }

    /// Spooled messages oldest first.
    public func spooledMessages(after: String? = nil, limit: Int = .max) throws -> [SpooledMessage] {
        try read { try $0.spooledMessages(after: after, limit: limit) }
    }
}
