import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// Flow control between intake and delivery: per-webhook counts, waits that
/// end when an attempt starts or at the delay, webhooks kept apart.
@Suite struct InflowControlTests {
    /// Flow control over webhooks `w1` and `fast` whose POSTs are known to be fast.
    static func control(highWater: Int = 2, maxDelay: Duration = .seconds(30)) -> InflowControl {
        let inflow = InflowControl(settings: .init(highWater: highWater, maxDelay: maxDelay))
        inflow.posted("w1", durationMs: 2)
        inflow.posted("fast", durationMs: 2)
        return inflow
    }

    /// Polls `condition` (a task registering as a waiter takes a moment, and
    /// on a busy machine many moments): up to a minute, which only ends a
    /// broken run; a count of sleeps would shrink with every scheduler delay.
    static func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        try #require(condition())
    }

    @Test func belowTheHighWaterARecipientPassesAtOnce() async {
        let inflow = Self.control()
        inflow.spooled("w1")
        #expect(inflow.hasRoom(for: "w1"))
        #expect(await inflow.admit("w1") == .immediate)
    }

    @Test func aboveItTheRecipientWaitsForAFirstAttempt() async throws {
        let inflow = Self.control()
        inflow.spooled("w1", count: 3)
        #expect(!inflow.hasRoom(for: "w1"))
        let waiting = Task { await inflow.admit("w1") }
        try await Self.until { inflow.waiting(for: "w1") == 1 }
        // Still at the mark (3 → 2): nobody is released.
        inflow.started("w1")
        #expect(inflow.waiting(for: "w1") == 1)
        inflow.started("w1")
        #expect(await waiting.value == .afterWait)
        #expect(inflow.backlog(of: "w1") == 1)
    }

    @Test func oneStartReleasesOneWaiterInArrivalOrder() async throws {
        let inflow = Self.control(highWater: 1)
        inflow.spooled("w1", count: 2)
        let first = Task { await inflow.admit("w1") }
        try await Self.until { inflow.waiting(for: "w1") == 1 }
        let second = Task { await inflow.admit("w1") }
        try await Self.until { inflow.waiting(for: "w1") == 2 }
        inflow.started("w1")  // 2 → 1: still at the mark, nobody goes
        inflow.started("w1")  // 1 → 0: the first waiter goes
        #expect(await first.value == .afterWait)
        inflow.spooled("w1")
        inflow.started("w1")
        #expect(await second.value == .afterWait)
    }

    @Test func theWaitEndsAtTheDelayAndTheRecipientIsAdmitted() async {
        let inflow = Self.control(highWater: 1, maxDelay: .milliseconds(40))
        inflow.spooled("w1")
        let start = ContinuousClock.now
        #expect(await inflow.admit("w1") == .timedOut)
        #expect(ContinuousClock.now - start >= .milliseconds(40))
    }

    @Test func anotherWebhooksBacklogDoesNotSlowThisOne() async {
        let inflow = Self.control(highWater: 1)
        inflow.spooled("w1", count: 100)
        #expect(!inflow.hasRoom(for: "w1"))
        #expect(inflow.hasRoom(for: "fast"))
        #expect(await inflow.admit("fast") == .immediate)
    }

    @Test func countsNeverGoBelowZero() {
        // First attempts of mail spooled before a restart were never counted.
        let inflow = Self.control(highWater: 1)
        inflow.started("w1")
        inflow.started("w1")
        inflow.spooled("w1")
        #expect(inflow.backlog(of: "w1") == 1)
        #expect(!inflow.hasRoom(for: "w1"))
    }

    @Test func offCountsNothingAndNeverWaits() async {
        let inflow = InflowControl(settings: .off)
        inflow.spooled("w1", count: 10_000)
        #expect(inflow.backlog(of: "w1") == 0)
        #expect(inflow.hasRoom(for: "w1"))
        #expect(await inflow.admit("w1") == .immediate)
    }

    @Test func aSlowWebhookIsNeverWaitedOn() async {
        let inflow = Self.control(highWater: 1)
        inflow.spooled("slow", count: 50)
        inflow.posted("slow", durationMs: 2000)
        #expect(inflow.hasRoom(for: "slow"))
        #expect(await inflow.admit("slow") == .immediate)
        // A fast one with the same backlog is waited on.
        inflow.spooled("fast", count: 50)
        inflow.posted("fast", durationMs: 3)
        #expect(!inflow.hasRoom(for: "fast"))
    }

    /// Until a POST of it has answered, a webhook may be a slow one whose
    /// first POSTs are still running: not waited on.
    @Test func aWebhookWithNoAnswerYetIsNotWaitedOn() async {
        let inflow = Self.control(highWater: 1)
        inflow.spooled("new", count: 50)
        #expect(inflow.hasRoom(for: "new"))
        inflow.posted("new", durationMs: 4)
        #expect(!inflow.hasRoom(for: "new"))
    }

    @Test func turningSlowReleasesTheWaitingSenders() async throws {
        let inflow = Self.control(highWater: 1)
        inflow.spooled("w1", count: 5)
        inflow.posted("w1", durationMs: 5)
        let waiting = Task { await inflow.admit("w1") }
        try await Self.until { inflow.waiting(for: "w1") == 1 }
        // The average moves an eighth of the way per attempt: a run of
        // slow answers crosses 100 ms.
        for _ in 0..<6 { inflow.posted("w1", durationMs: 1000) }
        #expect(await waiting.value == .afterWait)
        #expect(inflow.hasRoom(for: "w1"))
    }
}
