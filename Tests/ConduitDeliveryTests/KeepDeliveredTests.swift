import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// `keep_delivered_hours` over a real store (docs/DELIVERY.md, "What stays
/// in the spool"): a delivered message stays, charged, with one keep entry;
/// the janitor's pass removes it once the keep time ended, unless a
/// redelivery came since, whose finish starts the keep time again.
@Suite(.serialized) struct KeepDeliveredTests {
    typealias Fixture = DeliveryEngineTests.Fixture
    static let keep: Duration = .seconds(72 * 3600)

    func record(_ f: Fixture, _ claim: DeliveryClaim, _ outcome: AttemptOutcome, status: Int?, now: Date = Date()) throws -> Delivery.State {
        let recorder = DeliveryRecorder(schedule: f.settings.schedule, keepDelivered: Self.keep)
        let response = WebhookResponse(status: status, error: status == nil ? "timed out" : nil, durationMs: 3)
        return try f.store.write { txn in
            try recorder.record(claim, outcome: outcome, response: response, smtpMessageID: nil, attemptedAt: now, now: now, random: 0.5, in: txn)
        }
    }

    func usage(_ f: Fixture) throws -> Int {
        try f.store.read { try $0.spoolUsage(accountID: "acct") }
    }

    /// A pending redelivery of `original`, due now (what `RedeliveryService` writes).
    func redeliver(_ f: Fixture, _ original: Delivery, now: Date) throws -> Delivery {
        var redelivery = Delivery(id: Identifier.generate().rawValue, messageID: original.messageID, webhookID: original.webhookID,
                                  accountID: original.accountID, rcptTo: original.rcptTo, tag: nil, nextAttemptAt: now, createdAt: now)
        redelivery.redeliveryOf = original.id
        try f.store.write { try $0.insert(redelivery) }
        return redelivery
    }

    @Test func deliveredMessageIsKeptChargedAndIndexed() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let charged = try usage(f)
        let claim = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let now = Date()
        #expect(try record(f, claim, .delivered(status: 200), status: 200, now: now) == .delivered)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: claim.message.id) } != nil)
        #expect(try f.store.spooledBody(id: claim.message.id) != nil)
        #expect(try usage(f) == charged && charged > 0)
        let kept = try f.store.read { try $0.keptMessages() }
        #expect(kept.count == 1 && kept[0].messageID == claim.message.id)
        #expect(abs(kept[0].until.timeIntervalSince(now) - 72 * 3600) < 0.01)
        // Log retention's pass leaves a kept message alone, however old the cutoff.
        #expect(try f.store.write { try $0.removeFinishedMessages(receivedBefore: Date().addingTimeInterval(3600), limit: 10) } == 0)
        await f.close()
    }

    @Test func janitorRemovesOnlyAfterTheKeepTime() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let claim = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let now = Date()
        _ = try record(f, claim, .delivered(status: 200), status: 200, now: now)
        let early = try f.store.write { try $0.removeExpiredKeptMessages(at: now.addingTimeInterval(71 * 3600), limit: 500) }
        #expect(early.entries == 0 && early.removed == 0)
        let late = try f.store.write { try $0.removeExpiredKeptMessages(at: now.addingTimeInterval(72 * 3600 + 1), limit: 500) }
        #expect(late.entries == 1 && late.removed == 1)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: claim.message.id) } == nil)
        #expect(try f.store.spooledBody(id: claim.message.id) == nil)
        #expect(try f.store.read { try $0.deliveries(ofMessage: claim.message.id) }.isEmpty)
        #expect(try usage(f) == 0)
        #expect(try f.store.read { try $0.keptMessages() }.isEmpty)
        await f.close()
    }

    @Test func redeliveryKeepsTheMessageAndRestartsTheKeepTime() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let charged = try usage(f)
        let first = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let start = Date()
        _ = try record(f, first, .delivered(status: 200), status: 200, now: start)

        // Replayed a day later; still pending when the first keep time ends.
        let replayed = start.addingTimeInterval(24 * 3600)
        let redelivery = try redeliver(f, first.delivery, now: replayed)
        let pass = try f.store.write { try $0.removeExpiredKeptMessages(at: start.addingTimeInterval(73 * 3600), limit: 500) }
        #expect(pass.entries == 1 && pass.removed == 0)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: first.message.id) } != nil)
        #expect(try usage(f) == charged)

        // It finishes at +80 h: kept until +152 h, not removed by any earlier entry.
        let second = try #require(try f.engine.claimDue(now: replayed).claims.first)
        #expect(second.delivery.id == redelivery.id && second.delivery.redeliveryOf == first.delivery.id)
        let finished = start.addingTimeInterval(80 * 3600)
        _ = try record(f, second, .delivered(status: 200), status: 200, now: finished)
        let mid = try f.store.write { try $0.removeExpiredKeptMessages(at: start.addingTimeInterval(151 * 3600), limit: 500) }
        #expect(mid.removed == 0)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: first.message.id) } != nil)
        let end = try f.store.write { try $0.removeExpiredKeptMessages(at: start.addingTimeInterval(153 * 3600), limit: 500) }
        #expect(end.removed == 1)
        #expect(try usage(f) == 0)
        await f.close()
    }

    @Test func aStaleEntryDoesNotRemoveAMessageRedeliveredSince() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let first = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let start = Date()
        _ = try record(f, first, .delivered(status: 200), status: 200, now: start)
        _ = try redeliver(f, first.delivery, now: start.addingTimeInterval(3600))
        let second = try #require(try f.engine.claimDue(now: start.addingTimeInterval(3600)).claims.first)
        _ = try record(f, second, .delivered(status: 200), status: 200, now: start.addingTimeInterval(2 * 3600))
        // Two entries now; the first expires first and must leave the message.
        #expect(try f.store.read { try $0.keptMessages() }.count == 2)
        let pass = try f.store.write { try $0.removeExpiredKeptMessages(at: start.addingTimeInterval(73 * 3600), limit: 500) }
        #expect(pass.entries == 1 && pass.removed == 0)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: first.message.id) } != nil)
        await f.close()
    }

    @Test func aFailedRedeliveryLeavesTheMessageToLogRetention() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let first = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let start = Date()
        _ = try record(f, first, .delivered(status: 200), status: 200, now: start)
        _ = try redeliver(f, first.delivery, now: start.addingTimeInterval(3600))
        let second = try #require(try f.engine.claimDue(now: start.addingTimeInterval(3600)).claims.first)
        let failed = AttemptOutcome.failed(status: 400, reason: "HTTP 400", deactivate: false)
        #expect(try record(f, second, failed, status: 400, now: start.addingTimeInterval(2 * 3600)) == .failed)
        let pass = try f.store.write { try $0.removeExpiredKeptMessages(at: start.addingTimeInterval(100 * 3600), limit: 500) }
        #expect(pass.removed == 0)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: first.message.id) } != nil)
        #expect(try f.store.write { try $0.removeFinishedMessages(receivedBefore: Date().addingTimeInterval(60), limit: 10) } == 1)
        await f.close()
    }

    @Test func aRedeliveryCountsMaxAgeFromItsCreation() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        // Received 100 h ago (max age 72 h), failed then; replayed now.
        let original = try #require(try f.spool(to: [hook], receivedAt: Date().addingTimeInterval(-100 * 3600)).first)
        var finished = original
        finished.state = .failed
        try f.store.write { try $0.update(finished) }
        _ = try redeliver(f, finished, now: Date())
        let claim = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let retry = AttemptOutcome.retry(status: 503, reason: "HTTP 503", retryAfter: nil)
        #expect(try record(f, claim, retry, status: 503) == .pending)
        await f.close()
    }
}
