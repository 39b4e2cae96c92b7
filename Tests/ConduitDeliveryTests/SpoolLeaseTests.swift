import ConduitCore
import ConduitStore
import Foundation
import Logging
import Synchronization
import Testing
@testable import ConduitDelivery

/// Leasing at spool time (docs/DELIVERY.md): the intake's spool transaction
/// leases the deliveries the engine can start at once and the intake starts
/// them — no claim pass, no wake-up — while what the limits hold back stays
/// pending for the claim pass, and a lease whose worker is gone comes back.
/// The engine's scheduling loop never runs here: any attempt is the intake's.
@Suite(.serialized) struct SpoolLeaseTests {
    typealias Fixture = DeliveryEngineTests.Fixture

    final class Seen: Sendable { let deliveries = Mutex<[Delivery]>([]) }

    static func submission(to hooks: [Webhook]) -> SpoolSubmission {
        SpoolSubmission(
            id: Identifier.generate().rawValue, receivedAt: Date(), mailFrom: "s@example.org", remoteIP: "192.0.2.7",
            helo: "c.example", tls: false, authUser: nil, spf: nil, dkim: [], smtpMessageID: "<m@x>",
            recipients: hooks.map { SpooledRecipient(rcptTo: $0.address, webhookID: $0.id, accountID: $0.accountID, tag: nil) },
            refused: [], body: Array("Subject: x\r\n\r\nhi\r\n".utf8)
        )
    }

    /// The intake over the fixture's engine, started as `run` starts it:
    /// the leases of a dead process re-offered first.
    static func intake(_ f: Fixture, writer: SpoolWriter) -> MessageSpool {
        _ = try? f.engine.recoverLeases(now: Date())
        return MessageSpool(store: f.store, writer: writer, settings: .init(), engine: f.engine)
    }

    /// Waits until no attempt runs (60 s at most: that only ends a broken
    /// run, and a loaded machine can take seconds to finish an attempt).
    static func settled(_ engine: DeliveryEngine) async {
        let deadline = ContinuousClock.now + .seconds(60)
        while !engine.running.withLock({ $0.isEmpty }) || engine.state.withLock({ $0.total }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func aNewMessageIsLeasedInItsSpoolTransactionAndAttemptedWithoutAClaimPass() async throws {
        let f = try await Fixture()
        let hook = try f.webhook(secret: "whsec_?")  // its attempt fails for good before any POST
        let submission = Self.submission(to: [hook])
        let seen = Seen()
        let store = f.store
        // What the spool transaction wrote, read as soon as it is visible.
        let writer = SpoolWriter(store: store, committed: {
            let stored = (try? store.read { try $0.deliveries(ofMessage: submission.id) }) ?? []
            seen.deliveries.withLock { $0 += stored }
        })
        #expect(try await Self.intake(f, writer: writer).accept(submission) == .accepted)
        // Its first attempt started with the commit: no fresh backlog left (`InflowControl`).
        #expect(f.engine.inflow.backlog(of: hook.id) == 0)
        await Self.settled(f.engine)
        let atCommit = try #require(seen.deliveries.withLock { $0 }.first)
        #expect(atCommit.state == .pending && atCommit.attempts == 1)
        #expect(atCommit.leasedUntil != nil && atCommit.nextAttemptAt == atCommit.leasedUntil)
        // Attempted by the intake's hand-over: one spool transaction, then the outcome.
        #expect(writer.batchesCommitted == 1)
        let after = try #require(try f.delivery(atCommit.id))
        #expect(after.state == .failed && after.attempts == 1)
        #expect(try f.store.read { try $0.list(DeliveryLog.self, index: .byWebhook, key: hook.id) }.count == 1)
        #expect(f.engine.state.withLock { $0.total } == 0)
        writer.shutdown()
        await f.close()
    }

    @Test func nothingIsLeasedAtSpoolTimeBeforeTheLeasesOfADeadProcessAreReoffered() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let writer = SpoolWriter(store: f.store)
        let submission = Self.submission(to: [hook])
        let early = MessageSpool(store: f.store, writer: writer, settings: .init(), engine: f.engine)
        #expect(try await early.accept(submission) == .accepted)
        let waiting = try #require(try f.store.read { try $0.deliveries(ofMessage: submission.id) }.first)
        #expect(waiting.attempts == 0 && waiting.leasedUntil == nil)
        writer.shutdown()
        await f.close()
    }

    @Test func aFullWebhookLeavesNewMailPendingForTheClaimPass() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 2)
        let hook = try f.webhook()
        let writer = SpoolWriter(store: f.store)
        let intake = Self.intake(f, writer: writer)
        for _ in 0..<2 { try f.spool(to: [hook]) }
        let running = try f.engine.claimDue(now: Date()).claims
        #expect(running.count == 2)
        let submission = Self.submission(to: [hook])
        #expect(try await intake.accept(submission) == .accepted)
        let waiting = try #require(try f.store.read { try $0.deliveries(ofMessage: submission.id) }.first)
        #expect(waiting.state == .pending && waiting.attempts == 0 && waiting.leasedUntil == nil)
        #expect(f.engine.inflow.backlog(of: hook.id) == 1)
        // Two POSTs end: the claim pass takes it, as before.
        f.engine.release(running)
        #expect(try f.engine.claimDue(now: Date()).claims.map(\.delivery.id) == [waiting.id])
        #expect(f.engine.inflow.backlog(of: hook.id) == 0)
        writer.shutdown()
        await f.close()
    }

    @Test func olderDueMailRateLimitsAndTheGlobalLimitGoFirst() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 4, maxInFlight: 1)
        let writer = SpoolWriter(store: f.store)
        let intake = Self.intake(f, writer: writer)
        // A webhook with mail already due: the new message waits behind it.
        let backlogged = try f.webhook()
        let older = try f.spool(to: [backlogged])[0]
        let behind = Self.submission(to: [backlogged])
        _ = try await intake.accept(behind)
        #expect(try f.store.read { try $0.deliveries(ofMessage: behind.id) }.first?.attempts == 0)
        // The pass takes the older one and stops at the global limit (1):
        // new mail for another webhook is not leased ahead of the waiting one.
        let first = try f.engine.claimDue(now: Date()).claims
        #expect(first.map(\.delivery.id) == [older.id])
        f.engine.release(first)
        let plain = try f.webhook(secret: "whsec_?")
        let blocked = Self.submission(to: [plain])
        _ = try await intake.accept(blocked)
        #expect(try f.store.read { try $0.deliveries(ofMessage: blocked.id) }.first?.leasedUntil == nil)
        // Passes take the waiting mail one at a time; one that did not stop
        // at the limit (nothing left) lifts it.
        for _ in 0..<3 { f.engine.release(try f.engine.claimDue(now: Date()).claims) }
        #expect(f.engine.state.withLock { !$0.globalBacklog && $0.total == 0 })
        // Now a new message is leased and attempted at once; the next one to
        // a webhook of one delivery a minute finds no token and waits.
        let other = try f.webhook(rateLimit: 1, secret: "whsec_?")
        let leased = Self.submission(to: [other])
        _ = try await intake.accept(leased)
        await Self.settled(f.engine)
        let attempted = try #require(try f.store.read { try $0.deliveries(ofMessage: leased.id) }.first)
        #expect(attempted.attempts == 1 && attempted.state == .failed)
        let limited = Self.submission(to: [other])
        _ = try await intake.accept(limited)
        #expect(try f.store.read { try $0.deliveries(ofMessage: limited.id) }.first?.attempts == 0)
        writer.shutdown()
        await f.close()
    }

    /// A finished attempt wakes the scheduling loop only when a pass left
    /// mail due (or new mail was left pending): `claimWanted`.
    @Test func aPassRemembersWhetherItLeftMailDue() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 1)
        let hook = try f.webhook()
        for _ in 0..<2 { try f.spool(to: [hook]) }
        let first = try f.engine.claimDue(now: Date()).claims
        #expect(first.count == 1 && f.engine.state.withLock { $0.claimWanted })
        f.engine.release(first)
        let second = try f.engine.claimDue(now: Date()).claims
        #expect(second.count == 1 && !f.engine.state.withLock { $0.claimWanted })
        f.engine.notifySpooled()
        #expect(f.engine.state.withLock { $0.claimWanted })
        await f.close()
    }

    /// Spools a message whose deliveries are leased in the spool transaction
    /// but never started: the process dies right after the commit.
    static func spoolLeasedThenCrash(_ f: Fixture, to hook: Webhook) async throws -> Delivery {
        let writer = SpoolWriter(store: f.store)
        defer { writer.shutdown() }
        let lease = SpoolLease(engine: f.engine)
        var entry = Self.intake(f, writer: writer).entry(for: Self.submission(to: [hook]))
        entry.admit = lease.admit
        try await writer.commit(entry)
        #expect(lease.take().count == 1)
        let leased = try #require(try f.delivery(entry.deliveries[0].id))
        #expect(leased.attempts == 1 && leased.leasedUntil != nil)
        return leased
    }

    @Test func anExpiredSpoolTimeLeaseIsClaimedAgain() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let leased = try await Self.spoolLeasedThenCrash(f, to: hook)
        #expect(try f.engine.claimDue(now: Date()).claims.isEmpty)
        let afterLease = try #require(leased.leasedUntil).addingTimeInterval(1)
        let again = try f.engine.claimDue(now: afterLease).claims
        #expect(again.map(\.delivery.id) == [leased.id] && again.first?.delivery.attempts == 2)
        await f.close()
    }

    @Test func aRestartReoffersASpoolTimeLease() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let leased = try await Self.spoolLeasedThenCrash(f, to: hook)
        // A new process on the same store: its engine knows of no attempt.
        let restarted = DeliveryEngine(store: f.store, client: f.client, settings: f.settings, logger: .init(label: "test"))
        #expect(try restarted.recoverLeases(now: Date()) == 1)
        let again = try restarted.claimDue(now: Date()).claims
        #expect(again.map(\.delivery.id) == [leased.id] && again.first?.delivery.attempts == 2)
        await f.close()
    }

    @Test func aRolledBackSpoolTransactionCountsNothing() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let writer = SpoolWriter(store: f.store)
        let lease = SpoolLease(engine: f.engine)
        var entry = Self.intake(f, writer: writer).entry(for: Self.submission(to: [hook]))
        entry.admit = lease.admit
        struct RolledBack: Error {}
        #expect(throws: RolledBack.self) { try f.store.write { txn in try txn.insert(entry); throw RolledBack() } }
        #expect(f.engine.state.withLock { $0.total } == 1)
        // The retry in a transaction of its own counts the first run off.
        try await writer.commit(entry)
        #expect(f.engine.state.withLock { $0.total == 1 && $0.inFlight[hook.id] == 1 })
        f.engine.release(lease.take())
        #expect(f.engine.state.withLock { $0.total } == 0)
        writer.shutdown()
        await f.close()
    }
}
