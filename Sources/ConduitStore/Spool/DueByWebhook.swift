import ConduitCore
public import Foundation

/// The `deliveries.due_by_webhook` index: every pending delivery under
/// `webhookID SOH ExpiryKey(nextAttemptAt)`, so each webhook's due mail is
/// one contiguous, most-overdue-first range.
///
/// Why beside `due` (which orders all webhooks' mail by time): a claim pass
/// that walks `due` must step over every entry of a webhook that has no
/// free slot to reach other webhooks' mail behind it, so its cost grows with
/// the busiest webhook's backlog. Grouped by webhook, a pass seeks from one
/// webhook to the next (one step for a busy webhook, whatever its backlog)
/// and reads only as many entries as a webhook may start.
public enum DueByWebhook {
    /// Between the webhook id and the time. SOH sorts below every byte an id
    /// can hold, so `webhookID SOH` is a prefix of that webhook's entries
    /// alone, whatever the ids' lengths.
    static let separator: UInt8 = 0x01
    static let database = "\(Delivery.tableName).\(IndexName<Delivery>.dueByWebhook)"

    static func key(webhookID: String, due: Date) -> String {
        webhookID + "\u{1}" + ExpiryKey.of(due)
    }

    static func prefix(of webhookID: String) -> [UInt8] {
        Array(webhookID.utf8) + [separator]
    }
}

/// A webhook with pending deliveries, and when the earliest of them is
/// due (read from the same index entry, so a webhook whose mail all waits
/// for later costs a pass nothing more).
public struct PendingWebhook: Sendable, Equatable {
    public var id: String
    public var earliestAttempt: Date
}

extension ReadTransaction {
    /// The webhooks that have pending deliveries (due now or later, leased
    /// included), in id order, starting after the webhook `after`; at most
    /// `limit`. One seek per webhook, however many deliveries it has.
    public func webhooksWithPendingDeliveries(after: String?, limit: Int) throws -> [PendingWebhook] {
        let start = after.map { RawTransaction.successor(of: DueByWebhook.prefix(of: $0)) ?? [] }
        return try raw.distinctPrefixes(DueByWebhook.database, separator: DueByWebhook.separator, from: start, limit: limit)
            .compactMap { found in
                // The rest of the first key is `ExpiryKey NUL deliveryID`.
                guard let earliest = ExpiryKey.date(ofKey: Array(found.firstRest)) else { return nil }
                return PendingWebhook(id: String(decoding: found.prefix, as: UTF8.self), earliestAttempt: earliest)
            }
    }

    /// The ids of `webhookID`'s pending deliveries due at or before `now`,
    /// most overdue first, at most `limit`: only those entries are read.
    public func dueDeliveryIDs(ofWebhook webhookID: String, at now: Date, limit: Int) throws -> [String] {
        var ids: [String] = []
        guard limit > 0 else { return ids }
        let prefix = DueByWebhook.prefix(of: webhookID)
        let bound = prefix + Array(ExpiryKey.after(now).utf8)
        try raw.scan(DueByWebhook.database, prefix: prefix) { key, id in
            guard key.lexicographicallyPrecedes(bound) else { return false }
            ids.append(String(decoding: id, as: UTF8.self))
            return ids.count < limit
        }
        return ids
    }

    /// The earliest `nextAttemptAt` of any pending delivery (a lease's end
    /// for one in flight), read from the first key of the `due` index
    /// without reading the delivery; `nil` when nothing is pending.
    public func earliestPendingAttempt() throws -> Date? {
        var first: [UInt8]?
        try raw.scan("\(Delivery.tableName).\(IndexName<Delivery>.due)") { key, _ in
            first = key
            return false
        }
        return first.flatMap(ExpiryKey.date(ofKey:))
    }
}

extension ReadTransaction {
    /// How many deliveries `webhookID` has pending (due or not, leased
    /// included), counting at most `limit`: index entries only, no record read.
    public func pendingDeliveryCount(ofWebhook webhookID: String, limit: Int) throws -> Int {
        var count = 0
        guard limit > 0 else { return 0 }
        try raw.scan(DueByWebhook.database, prefix: DueByWebhook.prefix(of: webhookID)) { _, _ in
            count += 1
            return count < limit
        }
        return count
    }
}
