import ConduitCore
import ConduitStore
import Foundation
import Synchronization

/// Writes attempt outcomes in groups: every outcome that arrives while a
/// transaction commits goes into the next one, so recording costs one fsync
/// per group instead of one per POST (the same group commit as the spool's
/// `SpoolWriter`). Each caller waits until its outcome is on disk.
final class OutcomeWriter: Sendable {
    /// One outcome to record.
    struct Entry: Sendable {
        var claim: DeliveryClaim
        var outcome: AttemptOutcome
        var response: WebhookResponse
        var smtpMessageID: String?
        var attemptedAt: Date
    }

    private struct Waiting {
        var entry: Entry
        var continuation: CheckedContinuation<Delivery.State, any Error>
    }

    private struct Queue {
        var waiting: [Waiting] = []
        var writing = false
    }

    private let store: Store
    private let io: BlockingWork
    private let recorder: DeliveryRecorder
    private let queue = Mutex(Queue())
    /// Most outcomes per transaction (bounds how long one holds the writer lock).
    private let maxBatch = 512

    init(store: Store, io: BlockingWork, recorder: DeliveryRecorder) {
        self.store = store
        self.io = io
        self.recorder = recorder
    }

    /// Records `entry`; returns the delivery's state after it.
    func record(_ entry: Entry) async throws -> Delivery.State {
        try await withCheckedThrowingContinuation { continuation in
            let startWriting = queue.withLock { queue -> Bool in
                queue.waiting.append(Waiting(entry: entry, continuation: continuation))
                guard !queue.writing else { return false }
                queue.writing = true
                return true
            }
            if startWriting { Task { await self.writeAll() } }
        }
    }

    /// Writes batches until the queue is empty.
    private func writeAll() async {
        while true {
            let batch = queue.withLock { queue -> [Waiting] in
                let batch = Array(queue.waiting.prefix(maxBatch))
                queue.waiting.removeFirst(batch.count)
                if batch.isEmpty { queue.writing = false }
                return batch
            }
            guard !batch.isEmpty else { return }
            for (waiting, result) in zip(batch, await write(batch.map(\.entry))) {
                waiting.continuation.resume(with: result)
            }
        }
    }

    /// One transaction for the batch; if it fails, one per entry, so one
    /// bad entry does not fail the others.
    private func write(_ entries: [Entry]) async -> [Result<Delivery.State, any Error>] {
        let store = store
        let recorder = recorder
        let all = await Result {
            try await io.run {
                try store.write { txn in try entries.map { try recorder.record($0, in: txn) } }
            }
        }
        if case let .success(states) = all { return states.map { .success($0) } }
        guard entries.count > 1 else { return [all.map { $0[0] }] }
        var results: [Result<Delivery.State, any Error>] = []
        for entry in entries {
            results.append(await Result { try await io.run { try store.write { txn in try recorder.record(entry, in: txn) } } })
        }
        return results
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

extension DeliveryRecorder {
    /// `record` for a queued entry, timed and jittered now.
    func record(_ entry: OutcomeWriter.Entry, in txn: WriteTransaction) throws -> Delivery.State {
        try record(entry.claim, outcome: entry.outcome, response: entry.response, smtpMessageID: entry.smtpMessageID,
                   attemptedAt: entry.attemptedAt, now: Date(), random: Double.random(in: 0..<1), in: txn)
    }
}
