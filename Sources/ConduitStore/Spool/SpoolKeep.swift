import ConduitCore
public import Foundation

/// Delivered messages kept for redelivery (`[delivery] keep_delivered_hours`,
/// docs/DELIVERY.md "What stays in the spool").
///
/// A message whose deliveries are all delivered stays in the spool — record,
/// body, deliveries and its accounts' charge — and gets one entry here:
/// key `ExpiryKey(keepUntil)` + message id, value the time its last delivery
/// finished (the 8 little-endian bytes of the `Double`
/// `timeIntervalSinceReferenceDate`, exactly the delivery's stored
/// `updatedAt`). The janitor walks the expired keys in order, a bounded
/// batch at a time.
///
/// Nothing maps a message back to its entry (that would be a second write on
/// the delivery path). Instead an entry is checked when it expires: a
/// message that got a redelivery since has a delivery updated after the
/// entry's finish time — the redelivery wrote a later entry when it
/// finished, or is still pending — so the stale entry is dropped alone.
public enum SpoolKeep {
    public static let database = "spool_kept"

    static func key(until: Date, messageID: String) -> String {
        ExpiryKey.of(until) + messageID
    }

    static func encode(_ date: Date) -> [UInt8] {
        withUnsafeBytes(of: date.timeIntervalSinceReferenceDate.bitPattern.littleEndian) { Array($0) }
    }

    static func decode(_ bytes: [UInt8]) -> Date? {
        guard bytes.count == 8 else { return nil }
        let bits = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        return Date(timeIntervalSinceReferenceDate: Double(bitPattern: bits))
    }
}

extension WriteTransaction {
    /// Keeps a finished message until `until`: one entry in `spool_kept`,
    /// nothing else written (the message, body and charge stay as they are).
    /// `finishedAt` is the `updatedAt` its last delivery was given.
    public func keepSpooledMessage(id: String, finishedAt: Date, until: Date) throws {
        let value = SpoolKeep.encode(finishedAt)
        try value.withUnsafeBytes { try putRaw(database: SpoolKeep.database, key: SpoolKeep.key(until: until, messageID: id), bytes: $0) }
    }

    /// Looks at up to `limit` keep entries expired at `now`, oldest first,
    /// and removes each with the message it names when that message is
    /// still all delivered and nothing about it changed since the entry was
    /// written. An entry whose message is gone, has a delivery pending, or
    /// had one finish later (a redelivery: its own entry or log retention
    /// decides) is dropped alone. Returns how many entries were looked at
    /// and how many messages removed.
    public func removeExpiredKeptMessages(at now: Date, limit: Int) throws -> (entries: Int, removed: Int) {
        let bound = Array(ExpiryKey.after(now).utf8)
        var expired: [(key: String, messageID: String, finishedAt: Date?)] = []
        guard limit > 0 else { return (0, 0) }
        try raw.scan(SpoolKeep.database) { key, value in
            guard key.lexicographicallyPrecedes(bound) else { return false }
            expired.append((String(decoding: key, as: UTF8.self), ExpiryKey.suffix(ofKey: key), SpoolKeep.decode(value)))
            return expired.count < limit
        }
        var removed = 0
        for entry in expired {
            try deleteRaw(database: SpoolKeep.database, key: entry.key)
            guard try reader.get(SpooledMessage.self, id: entry.messageID) != nil else { continue }
            let deliveries = try reader.deliveries(ofMessage: entry.messageID)
            guard deliveries.allSatisfy({ $0.state == .delivered }) else { continue }
            if let finishedAt = entry.finishedAt, deliveries.contains(where: { $0.updatedAt > finishedAt }) { continue }
            try removeSpooledMessage(id: entry.messageID)
            removed += 1
        }
        return (expired.count, removed)
    }
}

extension ReadTransaction {
    /// The keep entries (`spool_kept`) as (keep until, message id), oldest
    /// first: for tests and `conduit spool`.
    public func keptMessages(limit: Int = .max) throws -> [(until: Date, messageID: String)] {
        var entries: [(until: Date, messageID: String)] = []
        guard limit > 0 else { return entries }
        try raw.scan(SpoolKeep.database) { key, _ in
            if let until = ExpiryKey.date(ofKey: key) {
                entries.append((until, ExpiryKey.suffix(ofKey: key)))
            }
            return entries.count < limit
        }
        return entries
    }
}
