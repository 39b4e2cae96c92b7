import ConduitCore
import ConduitStore
import Foundation
import Synchronization
import Testing
@testable import ConduitDelivery

/// An attempt whose outcome the store has no room for (docs/DELIVERY.md, issue 12
/// item 15): counted like a failure and backed off, not POSTed again at
/// every lease end while the store is full.
@Suite(.serialized) struct UnrecordedOutcomeTests {
    typealias Fixture = DeliveryEngineTests.Fixture

    /// Fills the map with raw filler values, largest first, until not even
    /// a few bytes fit; returns their keys.
    func fill(_ store: Store) throws -> [String] {
        var keys: [String] = []
        for size in [64 << 10, 4 << 10, 256, 8] {
            while true {
                let key = "filler-\(keys.count)"
                do {
                    try store.write { try $0.putRaw(database: Spool.bodiesDatabase, key: key, bytes: [UInt8](repeating: 7, count: size)) }
                } catch let error as StoreError where error.isCapacity {
                    break
                }
                keys.append(key)
            }
        }
        return keys
    }

    /// Deletes the fillers, the largest first and each in its own
    /// transaction: on a full map even a delete needs a few free pages, which
    /// the previous delete's freed overflow pages provide.
    func free(_ store: Store, _ keys: [String]) throws {
        for key in keys { try store.write { _ = try $0.deleteRaw(database: Spool.bodiesDatabase, key: key) } }
    }

    func heldUntil(_ f: Fixture, _ id: String) -> Date? {
        f.engine.unrecorded.withLock { $0.until[id] }
    }

    @Test func aFullStoreBacksTheDeliveryOffInsteadOfPostingItAtEveryLeaseEnd() async throws {
        // Attempt n waits 120 s · 2^(n−1) with equal jitter: far past the 31 s lease.
        let f = try await Fixture(retryInitial: .seconds(120), mapSizeBytes: 1 << 20)
        do {
            try await backsOff(f)
        } catch {
            await f.close()
            throw error
        }
        await f.close()
    }

    func backsOff(_ f: Fixture) async throws {
        let hook = try f.webhook()
        let delivery = try f.spool(to: [hook])[0]
        let start = Date()
        let claim = try #require(try f.engine.claimDue(now: start).claims.first)
        let leaseEnd = try #require(claim.delivery.leasedUntil)
        var fillers = try fill(f.store)

        let answer = WebhookResponse(status: 503, error: nil, durationMs: 5)
        let retry = AttemptOutcome.retry(status: 503, reason: "HTTP 503", retryAfter: nil)
        // The hold counts from when the outcome failed to record, not from
        // `start`: filling the map can take seconds on a busy machine.
        let beforeRecord = Date()
        #expect(await f.engine.record(claim, outcome: retry, response: answer, smtpMessageID: nil, attemptedAt: start) == .pending)
        let afterRecord = Date()
        f.engine.state.withLock { $0.finished(webhookID: hook.id) }
        // The attempt is counted on disk (its lease raised `attempts`).
        #expect(try f.delivery(delivery.id)?.attempts == 1)

        // The lease ends: the delivery is not started again (before the fix
        // it was leased — or the pass failed on the full store).
        #expect(try f.engine.claimDue(now: leaseEnd.addingTimeInterval(1)).claims.isEmpty)
        // It waits as a first failed attempt does: 60…120 s.
        let first = try #require(heldUntil(f, delivery.id))
        #expect(first.timeIntervalSince(beforeRecord) >= 59 && first.timeIntervalSince(afterRecord) <= 121)
        #expect(try f.engine.claimDue(now: first.addingTimeInterval(-1)).claims.isEmpty)

        // Past the backoff, with room again, the next attempt is number 2…
        try free(f.store, fillers)
        let second = try f.engine.claimDue(now: first.addingTimeInterval(1)).claims
        #expect(second.map(\.delivery.id) == [delivery.id] && second.first?.delivery.attempts == 2)
        let claim2 = try #require(second.first)

        // …and when its outcome cannot be written either, it waits twice as long.
        fillers = try fill(f.store)
        let refused = AttemptOutcome.failed(status: 400, reason: "HTTP 400", deactivate: false)
        let beforeSecond = Date()
        #expect(await f.engine.record(claim2, outcome: refused, response: answer, smtpMessageID: nil, attemptedAt: Date()) == .pending)
        let afterSecond = Date()
        f.engine.state.withLock { $0.finished(webhookID: hook.id) }
        let again = try #require(heldUntil(f, delivery.id))
        #expect(again.timeIntervalSince(beforeSecond) >= 119 && again.timeIntervalSince(afterSecond) <= 241)

        // Once an outcome is written, the hold is forgotten.
        try free(f.store, fillers)
        let third = try #require(try f.engine.claimDue(now: again.addingTimeInterval(1)).claims.first)
        #expect(await f.engine.record(third, outcome: .delivered(status: 200), response: WebhookResponse(status: 200, error: nil, durationMs: 1),
                                      smtpMessageID: nil, attemptedAt: Date()) == .delivered)
        #expect(heldUntil(f, delivery.id) == nil)
    }

    @Test func theLeaseOnDiskCarriesTheBackoffWhenItFits() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let claim = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let until = Date().addingTimeInterval(600)
        #expect(try f.store.write { try DeliveryRecorder.extendLease(claim, until: until, now: Date(), in: $0) })
        let extended = try #require(try f.delivery(claim.delivery.id))
        #expect(extended.state == .pending && extended.attempts == 1)
        #expect(abs(extended.nextAttemptAt.timeIntervalSince(until)) < 0.01)
        #expect(abs((extended.leasedUntil ?? .distantPast).timeIntervalSince(until)) < 0.01)
        // A lease that is no longer this attempt's is left alone.
        var stale = claim
        stale.delivery.attempts = 0
        #expect(try !f.store.write { try DeliveryRecorder.extendLease(stale, until: Date(), now: Date(), in: $0) })
        await f.close()
    }

    @Test func theInMemoryTableIsBounded() {
        let now = Date()
        var backoff = UnrecordedBackoff(capacity: 2)
        let heldA = backoff.hold("a", until: now.addingTimeInterval(10), now: now)
        #expect(heldA)
        let heldB = backoff.hold("b", until: now.addingTimeInterval(20), now: now)
        #expect(heldB)
        // Full of live entries: the third falls back to its lease on disk.
        let heldC = backoff.hold("c", until: now.addingTimeInterval(30), now: now)
        #expect(!heldC)
        #expect(!backoff.isHeld("c", now: now))
        // An existing entry may still move.
        let movedA = backoff.hold("a", until: now.addingTimeInterval(40), now: now)
        #expect(movedA)
        // Expired entries make room.
        let later = now.addingTimeInterval(25)
        let heldCLater = backoff.hold("c", until: later.addingTimeInterval(30), now: later)
        #expect(heldCLater)
        #expect(backoff.isHeld("a", now: later) && backoff.isHeld("c", now: later) && !backoff.isHeld("b", now: later))
        backoff.release("a")
        #expect(!backoff.isHeld("a", now: later))
    }
}
