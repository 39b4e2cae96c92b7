import Foundation

/// Commits accepted messages to the spool durably, many per transaction.
///
/// docs/SMTP.md ("Durability"): SMTP answers `250` after DATA only once the message is on disk.
/// An fsync per message would cap throughput at the disk's fsync rate, so
/// entries that arrive while a commit is running wait and all go into the
/// next write transaction together (group commit); each caller resumes when
/// the transaction holding its entry has committed (LMDB's default sync mode:
/// fsync before `mdb_txn_commit` returns).
///
/// The blocking LMDB work runs on a dedicated thread, never on Swift's
/// cooperative pool, so a slow disk stalls no event loop or task.
public final class SpoolWriter: Sendable {
    /// Counters for tests and metrics.
    public struct Statistics: Sendable, Equatable {
        /// Write transactions committed (each holds one or more entries).
        public var batchesCommitted: Int
        /// Entries committed.
        public var entriesCommitted: Int
        /// Entries accepted and not yet answered (queued or being written).
        public var pending: Int

        public init(batchesCommitted: Int, entriesCommitted: Int, pending: Int) {
            self.batchesCommitted = batchesCommitted
            self.entriesCommitted = entriesCommitted
            self.pending = pending
        }
    }

    private let queue: SpoolQueue

    /// Starts the writer thread. A batch holds at most `maxBatchEntries`
    /// entries and, unless a single entry is larger, `maxBatchBytes` of
    /// bodies, so one transaction never holds the writer lock (or the heap
    /// for LMDB's dirty pages) for long.
    public init(store: Store, maxBatchEntries: Int = 1024, maxBatchBytes: Int = 64 << 20) {
        let queue = SpoolQueue(store: store, maxBatchEntries: maxBatchEntries, maxBatchBytes: maxBatchBytes)
        self.queue = queue
        let thread = Thread { queue.run() }
        thread.name = "conduit-spool-writer"
        thread.start()
    }

    deinit { queue.shutdown() }

    /// Writes the message, its body, deliveries and logs in one transaction
    /// (possibly shared with other entries) and returns once it is committed
    /// and fsynced. Throws the store's error when it could not be written
    /// (`StoreError.mapFull`/`.diskFull` have `isCapacity`; SMTP answers 452),
    /// `StoreError.duplicateID` when the message id exists, and
    /// `StoreError.closed` after `shutdown()` or when the store is closed.
    /// Not cancellable: once queued, the entry is written and the call waits
    /// for that, so a cancelled caller never leaves an unknown outcome.
    public func commit(_ entry: SpoolEntry) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            if !queue.enqueue(SpoolQueue.Waiter(entry: entry, continuation: continuation)) {
                continuation.resume(throwing: StoreError.closed)
            }
        }
    }

    /// Stops accepting entries, commits those already queued, and ends the
    /// writer thread; returns when it has. Blocks for at most the queued
    /// batches' commits. Idempotent; later `commit` calls throw `StoreError.closed`.
    public func shutdown() {
        queue.shutdown()
    }

    public var statistics: Statistics { queue.statistics }

    /// `false` once `shutdown()` has begun: commits are refused from then on.
    public var isRunning: Bool { queue.isRunning }

    /// Write transactions committed so far (group commit puts many entries in one).
    public var batchesCommitted: Int { statistics.batchesCommitted }
}
