/// The state shared by `SpoolWriter` and its writer thread: entries waiting
/// for a transaction, and the loop that writes them in batches.
///
/// Separate from `SpoolWriter` so the thread does not keep the writer alive:
/// dropping the last `SpoolWriter` reference shuts the thread down.
final class SpoolQueue: @unchecked Sendable {
    /// An entry and the caller waiting for its commit.
    struct Waiter: Sendable {
        let entry: SpoolEntry
        let continuation: CheckedContinuation<Void, any Error>
    }

    enum Phase { case running, draining, stopped }

    let store: Store
    let maxBatchEntries: Int
    let maxBatchBytes: Int

    // Everything below is read and written only while holding `condition`'s lock.
    private let condition = Condition()
    private var waiting: [Waiter] = []
    private var writing = 0
    private var phase = Phase.running
    private var batchesCommitted = 0
    private var entriesCommitted = 0

    init(store: Store, maxBatchEntries: Int, maxBatchBytes: Int) {
        self.store = store
        self.maxBatchEntries = max(1, maxBatchEntries)
        self.maxBatchBytes = max(1, maxBatchBytes)
    }

    /// Queues `waiter` for the next transaction; `false` (nothing queued)
    /// once shutdown has begun.
    func enqueue(_ waiter: Waiter) -> Bool {
        condition.withLock {
            guard phase == .running else { return false }
            waiting.append(waiter)
            condition.broadcast()
            return true
        }
    }

    var statistics: SpoolWriter.Statistics {
        condition.withLock {
            SpoolWriter.Statistics(
                batchesCommitted: batchesCommitted, entriesCommitted: entriesCommitted, pending: waiting.count + writing
            )
        }
    }

    /// `false` once shutdown has begun.
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

    /// The writer thread's body: one write transaction per batch, for as long
    /// as the queue runs. Whatever queued up during a commit is the next batch
    /// — that is the group commit.
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
    /// least one, however large); `nil` when draining is done.
    private func nextBatch() -> [Waiter]? {
        condition.withLock {
            while waiting.isEmpty, phase == .running { condition.wait() }
            guard !waiting.isEmpty else {
                phase = .stopped
                condition.broadcast()
                return nil
            }
            var count = 0
            var bytes = 0
            for waiter in waiting {
                let size = waiter.entry.body.count
                if count > 0, count >= maxBatchEntries || bytes + size > maxBatchBytes { break }
                count += 1
                bytes += size
            }
            let batch = Array(waiting.prefix(count))
            waiting.removeFirst(count)
            writing += count
            return batch
        }
    }

    /// Writes the batch in one transaction. If that fails, each entry is
    /// tried in a transaction of its own, so one bad entry (a duplicate id, a
    /// body the map cannot hold) does not fail the others; the entries that
    /// fail alone get their own error.
    private func write(_ batch: [Waiter]) -> [Result<Void, any Error>] {
        do {
            try store.write { txn in
                for waiter in batch { try txn.insert(waiter.entry) }
            }
            recordCommit(entries: batch.count)
            return Array(repeating: .success(()), count: batch.count)
        } catch {
            guard batch.count > 1 else { return [.failure(error)] }
            return batch.map { waiter in
                do {
                    try store.write { try $0.insert(waiter.entry) }
                    recordCommit(entries: 1)
                    return .success(())
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
