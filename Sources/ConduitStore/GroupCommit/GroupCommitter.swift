import Foundation

/// Commits entries to the store durably, many per write transaction: the
/// one group-commit mechanism of Conduit (the spool's `SpoolWriter` and the
/// delivery engine's outcome recording both use it).
///
/// An fsync per entry would cap throughput at the disk's fsync rate, so
/// entries that arrive while a commit is running wait and all go into the
/// next transaction together; each caller resumes when the transaction
/// holding its entry has committed (LMDB's default sync mode: fsync before
/// `mdb_txn_commit` returns). If a batch's transaction fails, each entry is
/// tried in a transaction of its own, so one bad entry does not fail the
/// others; the ones that fail alone get their own error.
///
/// The blocking LMDB work runs on a dedicated thread, never on Swift's
/// cooperative pool, so a slow disk stalls no event loop or task.
public final class GroupCommitter<Entry: Sendable, Output: Sendable>: Sendable {
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

    private let queue: GroupCommitQueue<Entry, Output>

    /// Starts the committer's thread, named `name`. A batch holds at most
    /// `maxBatchEntries` entries and, unless a single entry costs more,
    /// entries of at most `maxBatchCost` in all (`cost`, e.g. body bytes), so
    /// one transaction never holds the writer lock, or the heap for LMDB's
    /// dirty pages, for long. `apply` writes one entry inside the batch's
    /// transaction and returns what its caller gets. `durable` and
    /// `committed` are `Store.write`'s: `false` for what a power loss may
    /// undo; `committed` runs on the writer thread after each batch's commit
    /// became visible, before its last sync and before the callers resume.
    public init(
        store: Store, name: String, maxBatchEntries: Int, maxBatchCost: Int = .max, durable: Bool = true,
        cost: @escaping @Sendable (Entry) -> Int = { _ in 0 },
        committed: (@Sendable () -> Void)? = nil,
        apply: @escaping @Sendable (Entry, WriteTransaction) throws -> Output
    ) {
        let queue = GroupCommitQueue(
            store: store, maxBatchEntries: maxBatchEntries, maxBatchCost: maxBatchCost, durable: durable, cost: cost,
            committed: committed, apply: apply
        )
        self.queue = queue
        let thread = Thread { queue.run() }
        thread.name = name
        thread.start()
    }

    deinit { queue.shutdown() }

    /// Writes `entry` in one transaction (possibly shared with others) and
    /// returns `apply`'s result once it is committed and fsynced. Throws what
    /// `apply` or the store threw for this entry, and `StoreError.closed`
    /// after `shutdown()`. Not cancellable: once queued, the entry is written
    /// and the call waits for that, so a cancelled caller never leaves an
    /// unknown outcome.
    public func commit(_ entry: Entry) async throws -> Output {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Output, any Error>) in
            if !queue.enqueue(entry, continuation) {
                continuation.resume(throwing: StoreError.closed)
            }
        }
    }

    /// Stops accepting entries, commits those already queued, and ends the
    /// thread; returns when it has. Idempotent.
    public func shutdown() {
        queue.shutdown()
    }

    public var statistics: Statistics { queue.statistics }

    /// `false` once `shutdown()` has begun: commits are refused from then on.
    public var isRunning: Bool { queue.isRunning }
}

/// The state shared by a `GroupCommitter` and its thread: entries waiting
/// for a transaction, and the loop that writes them in batches. Separate
/// from the committer so the thread does not keep it alive: dropping the
/// last `GroupCommitter` reference shuts the thread down.
final class GroupCommitQueue<Entry: Sendable, Output: Sendable>: @unchecked Sendable {
    struct Waiter {
        let entry: Entry
        let continuation: CheckedContinuation<Output, any Error>
    }

    enum Phase { case running, draining, stopped }

    let store: Store
    let maxBatchEntries: Int
    let maxBatchCost: Int
    let durable: Bool
    let committed: (@Sendable () -> Void)?
    let cost: @Sendable (Entry) -> Int
    let apply: @Sendable (Entry, WriteTransaction) throws -> Output

    // Everything below is read and written only while holding `condition`'s lock.
    private let condition = Condition()
    private var waiting: [Waiter] = []
    private var writing = 0
    private var phase = Phase.running
    private var batchesCommitted = 0
    private var entriesCommitted = 0

    init(
        store: Store, maxBatchEntries: Int, maxBatchCost: Int, durable: Bool, cost: @escaping @Sendable (Entry) -> Int,
        committed: (@Sendable () -> Void)?, apply: @escaping @Sendable (Entry, WriteTransaction) throws -> Output
    ) {
        self.store = store
        self.durable = durable
        self.committed = committed
        self.maxBatchEntries = max(1, maxBatchEntries)
        self.maxBatchCost = max(1, maxBatchCost)
        self.cost = cost
        self.apply = apply
    }

    /// Queues the entry for the next transaction; `false` (nothing queued)
    /// once shutdown has begun.
    func enqueue(_ entry: Entry, _ continuation: CheckedContinuation<Output, any Error>) -> Bool {
        condition.withLock {
            guard phase == .running else { return false }
            waiting.append(Waiter(entry: entry, continuation: continuation))
            condition.broadcast()
            return true
        }
    }

    var statistics: GroupCommitter<Entry, Output>.Statistics {
        condition.withLock {
            .init(batchesCommitted: batchesCommitted, entriesCommitted: entriesCommitted, pending: waiting.count + writing)
        }
    }

    var isRunning: Bool {
        condition.withLock { phase == .running }
    }

    /// Stops accepting entries, lets the thread write what is queued, and
    /// returns when it has ended. Idempotent.
    func shutdown() {
        condition.withLock {
            if phase == .running {
                phase = .draining
                condition.broadcast()
            }
            while phase != .stopped { condition.wait() }
        }
    }

    /// The thread's body: one write transaction per batch, for as long as
    /// the queue runs. Whatever queued up during a commit is the next batch:
    /// that is the group commit.
    func run() {
        while let batch = nextBatch() {
            let results = write(batch)
            condition.withLock { writing -= batch.count }
            for (waiter, result) in zip(batch, results) {
                waiter.continuation.resume(with: result)
            }
        }
    }

    /// Waits for entries and takes the oldest, up to the batch limits (at
    /// least one, however costly); `nil` when draining is done.
    private func nextBatch() -> [Waiter]? {
        condition.withLock {
            while waiting.isEmpty, phase == .running { condition.wait() }
            guard !waiting.isEmpty else {
                phase = .stopped
                condition.broadcast()
                return nil
            }
            var count = 0
            var total = 0
            for waiter in waiting {
                let size = cost(waiter.entry)
                if count > 0, count >= maxBatchEntries || total + size > maxBatchCost { break }
                count += 1
                total += size
            }
            let batch = Array(waiting.prefix(count))
            waiting.removeFirst(count)
            writing += count
            return batch
        }
    }

    private func write(_ batch: [Waiter]) -> [Result<Output, any Error>] {
        let apply = apply
        do {
            let outputs = try store.write(durable: durable, committed: committed) { txn in try batch.map { try apply($0.entry, txn) } }
            recordCommit(entries: batch.count)
            return outputs.map { .success($0) }
        } catch {
            guard batch.count > 1 else { return [.failure(error)] }
            return batch.map { waiter in
                do {
                    let output = try store.write(durable: durable, committed: committed) { try apply(waiter.entry, $0) }
                    recordCommit(entries: 1)
                    return .success(output)
                } catch {
                    return .failure(error)
                }
            }
        }
    }

    private func recordCommit(entries: Int) {
        condition.withLock {
            batchesCommitted += 1
            entriesCommitted += entries
        }
    }
}
