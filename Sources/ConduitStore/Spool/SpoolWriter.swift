/// Commits accepted messages to the spool durably, many per transaction.
///
/// SMTP answers `250` after DATA only once the message is on disk
/// (docs/SMTP.md, "Durability"). The spool is one `GroupCommitter`: entries
/// that arrive while a commit runs share the next transaction and its one
/// fsync, on the committer's own thread.
public final class SpoolWriter: Sendable {
    public typealias Statistics = GroupCommitter<SpoolEntry, Void>.Statistics

    private let committer: GroupCommitter<SpoolEntry, Void>

    /// Starts the writer thread. A batch holds at most `maxBatchEntries`
    /// entries and, unless a single entry is larger, `maxBatchBytes` of
    /// bodies, so one transaction never holds the writer lock (or the heap
    /// for LMDB's dirty pages) for long. `committed` runs on the writer
    /// thread as soon as a batch is visible to other transactions, before
    /// its last sync (the server passes none: the intake starts what its
    /// transaction leased once the commit is durable, docs/DELIVERY.md).
    public init(
        store: Store, maxBatchEntries: Int = 1024, maxBatchBytes: Int = 64 << 20, committed: (@Sendable () -> Void)? = nil
    ) {
        committer = GroupCommitter(
            store: store, name: "conduit-spool-writer", maxBatchEntries: maxBatchEntries, maxBatchCost: maxBatchBytes,
            cost: { $0.body.count }, committed: committed, apply: { entry, txn in try txn.insert(entry) }
        )
    }

    /// Writes the message, its body, deliveries and logs in one transaction
    /// (possibly shared with other entries) and returns once it is committed
    /// and fsynced. Throws the store's error when it could not be written
    /// (`StoreError.mapFull`/`.diskFull` have `isCapacity`; SMTP answers 452),
    /// `StoreError.quotaExceeded` past an account's quota,
    /// `StoreError.duplicateID` when the message id exists, and
    /// `StoreError.closed` after `shutdown()` or when the store is closed.
    /// Not cancellable: once queued, the entry is written and the call waits
    /// for that, so a cancelled caller never leaves an unknown outcome.
    public func commit(_ entry: SpoolEntry) async throws {
        try await committer.commit(entry)
    }

    /// Stops accepting entries, commits those already queued, and ends the
    /// writer thread; returns when it has. Blocks for at most the queued
    /// batches' commits. Idempotent; later `commit` calls throw `StoreError.closed`.
    public func shutdown() {
        committer.shutdown()
    }

    public var statistics: Statistics { committer.statistics }

    /// `false` once `shutdown()` has begun: commits are refused from then on.
    public var isRunning: Bool { committer.isRunning }

    /// Write transactions committed so far (group commit puts many entries in one).
    public var batchesCommitted: Int { statistics.batchesCommitted }
}
