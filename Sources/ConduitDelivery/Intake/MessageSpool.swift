import ConduitCore
public import ConduitStore
public import Foundation
import Glibc

/// The spool as delivery's API (docs/DELIVERY.md, "The intake"): the ingress
/// hands over a `SpoolSubmission` in one call, and this side decides what it
/// becomes — the spooled message, one `Delivery` per recipient with its
/// first attempt time, the log rows of refused recipients — commits it
/// durably through the `SpoolWriter`, then wakes the engine or runs the
/// inline first attempt. The ingress only maps the verdict and the errors to
/// SMTP replies.
public final class MessageSpool: Sendable {
    /// Delivery's rules for new mail.
    public struct Settings: Sendable, Equatable {
        /// How long a new delivery waits before its first attempt.
        public var firstAttemptDelay: TimeInterval
        /// `[storage] account_quota_mb` in bytes, checked again by the spool
        /// writer inside its transaction; `nil` for no limit.
        public var accountQuotaBytes: Int?
        /// `[delivery] inline_timeout_ms`: how long the SMTP client may wait
        /// for the first attempt; `nil` or zero: none, the engine is woken.
        public var inlineTimeout: Duration?

        public init(firstAttemptDelay: TimeInterval = 0, accountQuotaBytes: Int? = nil, inlineTimeout: Duration? = nil) {
            self.firstAttemptDelay = firstAttemptDelay
            self.accountQuotaBytes = accountQuotaBytes
            self.inlineTimeout = inlineTimeout
        }
    }

    let store: Store
    let writer: SpoolWriter
    let settings: Settings
    /// `nil` in tests of the intake alone: the records are written, nobody is woken.
    let engine: DeliveryEngine?
    /// Log rows of a message that has no delivery at all are written here,
    /// not on Swift's cooperative pool (a write transaction waits for fsync).
    private static let logWrites = BlockingWork(width: 1)

    public init(store: Store, writer: SpoolWriter, settings: Settings, engine: DeliveryEngine?) {
        self.store = store
        self.writer = writer
        self.settings = settings
        self.engine = engine
    }

    /// Spools `submission` (returning only once it is fsynced), leasing in
    /// the same transaction the deliveries the engine can start at once;
    /// then starts those, wakes the engine for the others, or runs the
    /// inline first attempt (docs/DELIVERY.md, "Leasing at spool time").
    /// - Throws: the `SpoolWriter`'s errors, unchanged:
    ///   `StoreError.quotaExceeded(accountIDs:)` when an account is full (the
    ///   caller may submit again without its recipients), capacity errors
    ///   (`StoreError.isStorageFull`), `duplicateID`, `closed`.
    public func accept(_ submission: SpoolSubmission) async throws -> SpoolVerdict {
        var entry = entry(for: submission)
        let lease = engine.map { SpoolLease(engine: $0) }
        entry.admit = lease?.admit
        // Counted before the commit: the engine may lease them as soon as
        // they are visible, before `commit` returns.
        let inflow = engine?.inflow
        for delivery in entry.deliveries { inflow?.spooled(delivery.webhookID) }
        do {
            try await writer.commit(entry)
        } catch {
            // Rolled back: what the last transaction leased is not on disk.
            if let lease { lease.engine.release(lease.take()) }
            for delivery in entry.deliveries { inflow?.withdrawn(delivery.webhookID) }
            throw error
        }
        FaultInjection.point("after-spool-commit")
        guard let engine, let lease else { return .accepted }
        // Durable now, leases included: a crash from here on re-offers them
        // at the next start (`recoverLeases`), as after a claim pass.
        let claims = lease.take()
        // Leased for their first attempt with the message: room for the
        // webhooks' waiting senders, as a claim pass's first leases make.
        for claim in claims { engine.inflow.started(claim.webhook.id) }
        let unleased = claims.count < entry.deliveries.count
        if let timeout = settings.inlineTimeout, timeout > .zero {
            return await engine.deliverInline(messageID: submission.id, leased: claims, unleased: unleased, timeout: timeout)
        }
        engine.startLeased(claims)
        // Only mail left pending needs a claim pass (the one wake-up).
        if unleased { engine.notifySpooled() }
        return .accepted
    }

    /// Whether a new recipient of `webhookID` may pass now: `admitRecipient`
    /// would answer `.immediate` without waiting. Lets the SMTP side decide
    /// on its event loop and await only a real wait.
    public func recipientHasRoom(of webhookID: String) -> Bool {
        engine?.inflow.hasRoom(for: webhookID) ?? true
    }

    /// Waits while `webhookID` has more fresh mail waiting than delivery
    /// lets through (`InflowControl`); the ingress calls it before accepting
    /// a recipient that adds a delivery.
    public func admitRecipient(of webhookID: String) async -> InflowControl.Admission {
        await engine?.inflow.admit(webhookID) ?? .immediate
    }

    /// Writes only the log rows of `submission.refused`: nothing is left to
    /// deliver (every recipient was refused), so nothing is spooled.
    public func recordRefusals(of submission: SpoolSubmission) async throws {
        let logs = Self.logRows(for: submission)
        guard !logs.isEmpty else { return }
        let store = store
        try await Self.logWrites.run { try store.write { txn in for log in logs { try txn.insert(log) } } }
    }

    /// The records `submission` becomes, in one spool entry.
    func entry(for submission: SpoolSubmission) -> SpoolEntry {
        let message = SpooledMessage(
            id: submission.id, receivedAt: submission.receivedAt, mailFrom: submission.mailFrom,
            remoteIP: submission.remoteIP, helo: submission.helo, tls: submission.tls, authUser: submission.authUser,
            spf: submission.spf, dkim: submission.dkim, size: submission.body.count, recipients: submission.recipients,
            dmarc: submission.dmarc, arc: submission.arc, authservID: submission.authservID
        )
        let firstAttempt = submission.receivedAt.addingTimeInterval(settings.firstAttemptDelay)
        let deliveries = submission.recipients.map { recipient in
            Delivery(
                id: Identifier.generate().rawValue, messageID: submission.id, webhookID: recipient.webhookID,
                accountID: recipient.accountID, rcptTo: recipient.rcptTo, tag: recipient.tag, state: .pending,
                attempts: 0, nextAttemptAt: firstAttempt, createdAt: submission.receivedAt, updatedAt: submission.receivedAt
            )
        }
        return SpoolEntry(
            message: message, body: submission.body, deliveries: deliveries, logs: Self.logRows(for: submission),
            accountQuotaBytes: settings.accountQuotaBytes
        )
    }

    /// A log row per refused recipient, stamped with the arrival time.
    static func logRows(for submission: SpoolSubmission) -> [DeliveryLog] {
        submission.refused.map { refusal in
            DeliveryLog(
                id: Identifier.generate().rawValue, webhookID: refusal.recipient.webhookID,
                accountID: refusal.recipient.accountID, deliveryID: nil, messageID: submission.id,
                smtpMessageID: submission.smtpMessageID, sender: submission.mailFrom,
                attemptedAt: submission.receivedAt, durationMs: 0, httpStatus: nil,
                error: "not delivered: \(refusal.reason)", simulated: false
            )
        }
    }
}

/// Crash points for durability tests: with `CONDUIT_FAULT=<name>` in the
/// environment the process kills itself (SIGKILL, no cleanup) when it
/// reaches the point of that name. Unset in production: one getenv per call.
enum FaultInjection {
    static let armed = ProcessInfo.processInfo.environment["CONDUIT_FAULT"]

    static func point(_ name: String) {
        guard let armed, armed == name else { return }
        kill(getpid(), SIGKILL)
    }
}
