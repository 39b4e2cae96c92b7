import ConduitCore
import ConduitStore
import Foundation

/// Writes attempt outcomes in groups: every outcome that arrives while a
/// transaction commits goes into the next one, so recording costs one fsync
/// per group instead of one per POST. It is ConduitStore's `GroupCommitter`,
/// the same mechanism as the spool's `SpoolWriter`, on its own thread. Each
/// caller waits until its outcome is on disk.
final class OutcomeWriter: Sendable {
    /// One outcome to record.
    struct Entry: Sendable {
        var claim: DeliveryClaim
        var outcome: AttemptOutcome
        var response: WebhookResponse
        var smtpMessageID: String?
        var attemptedAt: Date
    }

    private let committer: GroupCommitter<Entry, Delivery.State>

    /// At most 512 outcomes per transaction (bounds how long one holds the
    /// writer lock). Not `durable`: a power loss that undoes an outcome
    /// makes the delivery due again, so its POST is repeated (same
    /// `webhook-id`), which at-least-once allows; a crash of the process
    /// loses nothing (docs/DELIVERY.md, "Durability").
    init(store: Store, recorder: DeliveryRecorder) {
        committer = GroupCommitter(
            store: store, name: "conduit-outcome-writer", maxBatchEntries: 512, durable: false,
            apply: { entry, txn in try recorder.record(entry, in: txn) }
        )
    }

    /// Records `entry`; returns the delivery's state after it.
    func record(_ entry: Entry) async throws -> Delivery.State {
        try await committer.commit(entry)
    }

    /// Commits what is queued and ends the writer thread.
    func shutdown() {
        committer.shutdown()
    }
}

extension DeliveryRecorder {
    /// `record` for a queued entry, timed and jittered now.
    func record(_ entry: OutcomeWriter.Entry, in txn: WriteTransaction) throws -> Delivery.State {
        try record(entry.claim, outcome: entry.outcome, response: entry.response, smtpMessageID: entry.smtpMessageID,
                   attemptedAt: entry.attemptedAt, now: Date(), random: Double.random(in: 0..<1), in: txn)
    }
}
