import ConduitCore
import ConduitStore
import Logging
import PostgresNIO

/// One applied change, reported to the benchmark: which node, which record,
/// when its cache stopped serving the old value.
struct AppliedChange: Sendable {
    var node: Int
    var seq: Int64
    var table: String
    var recordID: String
    /// When the notification reached the node.
    var notifiedAt: ContinuousClock.Instant
    /// When the node's cache held the change (re-read row written to LMDB).
    var at: ContinuousClock.Instant
}

/// A node following the control plane (docs/SCALING.md, "Cache
/// invalidation"): LISTEN on a dedicated connection; each notification
/// names `seq table id`; the node reads that row again through its pool
/// (the notification carries no data, so applying is idempotent and a
/// stale notification cannot write an old value) and saves or deletes it in
/// its LMDB cache together with `last_seq`. A change at or below `last_seq`
/// is skipped; a gap (seq > last + 1) is first filled from `changes`.
struct ChangeFeed: Sendable {
    static let channel = "conduit_changes"

    let node: Int
    let cache: NodeCache
    let client: PostgresClient
    let applied: AsyncStream<AppliedChange>.Continuation

    /// Listens until cancelled; `ready` is resumed once LISTEN is in place.
    func run(connection: PostgresConnection, ready: CheckedContinuation<Void, Never>) async throws {
        try await connection.listen(on: Self.channel) { notifications in
            ready.resume()
            for try await notification in notifications {
                let notifiedAt = ContinuousClock.now
                let parts = notification.payload.split(separator: " ", maxSplits: 2).map(String.init)
                guard parts.count == 3, let seq = Int64(parts[0]) else { continue }
                try await apply(seq: seq, table: parts[1], recordID: parts[2], notifiedAt: notifiedAt)
            }
        }
    }

    func apply(seq: Int64, table: String, recordID: String, notifiedAt: ContinuousClock.Instant) async throws {
        let last = try cache.lastSeq()
        guard seq > last else { return }
        if seq > last + 1 {
            // Missed notifications (a reconnect): the log has them in order.
            let rows = try await client.query(
                "SELECT seq, table_name, record_id FROM changes WHERE seq > \(last) AND seq < \(seq) ORDER BY seq",
                logger: quiet)
            for try await (missedSeq, missedTable, missedID) in rows.decode((Int64, String, String).self) {
                try await applyOne(seq: missedSeq, table: missedTable, recordID: missedID)
            }
        }
        try await applyOne(seq: seq, table: table, recordID: recordID)
        applied.yield(AppliedChange(node: node, seq: seq, table: table, recordID: recordID, notifiedAt: notifiedAt, at: .now))
    }

    private func applyOne(seq: Int64, table: String, recordID: String) async throws {
        switch table {
        case "api_tokens":
            let rows = try await client.query(
                "SELECT id, account_id, name, token_hash, allowed_ips, expires_at, created_at FROM api_tokens WHERE id = \(recordID)",
                logger: quiet
            ).collect()
            let current = try rows.first.map(NodeCache.apiToken)
            let store = cache.store
            try await cache.writes.run {
                // A cache: a power loss that undoes this is repaired from
                // `changes` at the next start (last_seq goes back with it).
                try store.write(durable: false) { txn in
                    if let current { try txn.save(current) } else { _ = try txn.delete(APIToken.self, id: recordID) }
                    try NodeCache.putLastSeq(seq, in: txn)
                }
            }
        default:
            // domains, smtp_policies and webhooks follow the same shape; the
            // prototype measures the token path only.
            let store = cache.store
            try await cache.writes.run { try store.write(durable: false) { try NodeCache.putLastSeq(seq, in: $0) } }
        }
    }
}
