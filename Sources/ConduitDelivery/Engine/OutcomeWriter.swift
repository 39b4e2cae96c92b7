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
        /// What of the outcome this entry writes (`recordInTwoParts`).
        var part = Part.whole
    }

    enum Part: Sendable {
        /// State, log row and the message's settling, in one transaction.
        case whole
        /// Everything but the log row.
        case withoutLog
        /// Only the log row.
        case logOnly
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

    /// A final outcome (delivered or failed) that did not fit the store in one
    /// transaction: first its state and the message's settling — which frees
    /// the message once every delivery of it is done, the biggest thing an
    /// outcome can free — then its log row. LMDB gives a write the pages of
    /// the commit before it only after one more commit, which `Store.write`
    /// makes when a write fails with `mapFull`; so the log row gets a second
    /// try. Returns the state and whether the log row was written; throws
    /// when even the first part does not fit. A crash between the parts
    /// loses only the log row.
    func recordInTwoParts(_ entry: Entry) async throws -> (state: Delivery.State, logged: Bool) {
        var first = entry
        first.part = .withoutLog
        let state = try await committer.commit(first)
        var log = entry
        log.part = .logOnly
        for attempt in 1...2 {
            do {
                _ = try await committer.commit(log)
                return (state, true)
            } catch let error as StoreError where error.isCapacity && attempt == 1 {
                continue
            } catch {
                break
            }
        }
        return (state, false)
    }

    /// Commits what is queued and ends the writer thread.
    func shutdown() {
        committer.shutdown()
    }
}

extension DeliveryRecorder {
    /// `record` for a queued entry (its part), timed and jittered now.
    func record(_ entry: OutcomeWriter.Entry, in txn: WriteTransaction) throws -> Delivery.State {
        switch entry.part {
        case .whole, .withoutLog:
            return try record(entry.claim, outcome: entry.outcome, response: entry.response, smtpMessageID: entry.smtpMessageID,
                              attemptedAt: entry.attemptedAt, now: Date(), random: Double.random(in: 0..<1),
                              logRow: entry.part == .whole, in: txn)
        case .logOnly:
            // Only final outcomes are split; a retry's row is never written alone.
            let (state, error): (Delivery.State, String?) = switch entry.outcome {
            case .delivered: (.delivered, nil)
            case let .failed(_, reason, _): (.failed, reason)
            case let .retry(_, reason, _): (.pending, reason)
            }
            try Self.recordLog(entry.claim, response: entry.response, smtpMessageID: entry.smtpMessageID,
                               attemptedAt: entry.attemptedAt, error: error, in: txn)
            return state
        }
    }
}
