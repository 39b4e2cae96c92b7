import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// How an attempt's outcome lands in the store (docs/DELIVERY.md).
@Suite(.serialized) struct DeliveryRecorderTests {
    typealias Fixture = DeliveryEngineTests.Fixture

    func claim(_ f: Fixture, _ hook: Webhook, receivedAt: Date = Date()) throws -> DeliveryClaim {
        try f.spool(to: [hook], receivedAt: receivedAt)
        return try #require(try f.engine.claimDue(now: Date()).claims.first)
    }

    func record(_ f: Fixture, _ claim: DeliveryClaim, _ outcome: AttemptOutcome, status: Int?) throws -> Delivery.State {
        let recorder = DeliveryRecorder(schedule: f.settings.schedule)
        let response = WebhookResponse(status: status, error: status == nil ? "timed out" : nil, durationMs: 12)
        return try f.store.write { txn in
            try recorder.record(claim, outcome: outcome, response: response, smtpMessageID: "<m@x>", attemptedAt: Date(),
                                now: Date(), random: 0.5, in: txn)
        }
    }

    func logs(_ f: Fixture, _ hook: Webhook) throws -> [DeliveryLog] {
        try f.store.read { try $0.list(DeliveryLog.self, index: .byWebhook, key: hook.id) }
    }

    @Test func deliveredRemovesTheMessageAndLogsTheAttempt() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let c = try claim(f, hook)
        #expect(try record(f, c, .delivered(status: 204), status: 204) == .delivered)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: c.message.id) } == nil)
        let rows = try logs(f, hook)
        #expect(rows.count == 1 && rows[0].httpStatus == 204 && rows[0].error == nil && rows[0].smtpMessageID == "<m@x>")
        #expect(rows[0].deliveryID == c.delivery.id && rows[0].durationMs == 12)
        await f.close()
    }

    @Test func retryReleasesTheLeaseAndSchedulesWithBackoff() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let c = try claim(f, hook)
        let before = Date()
        #expect(try record(f, c, .retry(status: nil, reason: "timed out", retryAfter: nil), status: nil) == .pending)
        let delivery = try #require(try f.delivery(c.delivery.id))
        #expect(delivery.leasedUntil == nil && delivery.attempts == 1)
        // First retry: 30 s initial with equal jitter at 0.5 → 22.5 s.
        #expect(abs(delivery.nextAttemptAt.timeIntervalSince(before) - 22.5) < 1)
        #expect(try logs(f, hook).first?.httpStatus == nil)
        await f.close()
    }

    @Test func retryAfterMaxAgeIsDeadAndSaysSo() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let c = try claim(f, hook, receivedAt: Date().addingTimeInterval(-72 * 3600 + 5))
        #expect(try record(f, c, .retry(status: 503, reason: "HTTP 503", retryAfter: nil), status: 503) == .dead)
        #expect(try logs(f, hook).first?.error?.contains("giving up after 1 attempts") == true)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: c.message.id) } != nil)
        await f.close()
    }

    @Test func goneDeactivatesTheWebhook() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let c = try claim(f, hook)
        #expect(try record(f, c, .failed(status: 410, reason: "HTTP 410 Gone", deactivate: true), status: 410) == .failed)
        #expect(try f.store.read { try $0.get(Webhook.self, id: hook.id) }?.active == false)
        await f.close()
    }

    @Test func aLostLeaseOnlyAddsTheLogRow() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let c = try claim(f, hook)
        // The lease expired and a later claim took the delivery over.
        try f.store.write { txn in
            var taken = try #require(try txn.reader.get(Delivery.self, id: c.delivery.id))
            taken.attempts += 1
            try txn.update(taken)
        }
        _ = try record(f, c, .delivered(status: 200), status: 200)
        let delivery = try #require(try f.delivery(c.delivery.id))
        #expect(delivery.state == .pending && delivery.attempts == 2)
        #expect(try logs(f, hook).count == 1)
        await f.close()
    }
}
