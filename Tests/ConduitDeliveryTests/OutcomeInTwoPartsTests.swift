import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// A final outcome too big for a full store is written in two transactions
/// (`OutcomeWriter.recordInTwoParts`): the two parts must leave the store as
/// the one transaction does — the delivery's state, the message settled, one
/// log row with the attempt's status and error.
@Suite(.serialized) struct OutcomeInTwoPartsTests {
    typealias Fixture = DeliveryEngineTests.Fixture

    func logs(_ f: Fixture, _ hook: Webhook) throws -> [DeliveryLog] {
        try f.store.read { try $0.list(DeliveryLog.self, index: .byWebhook, key: hook.id) }
    }

    func entry(_ claim: DeliveryClaim, _ outcome: AttemptOutcome, status: Int) -> OutcomeWriter.Entry {
        OutcomeWriter.Entry(claim: claim, outcome: outcome, response: WebhookResponse(status: status, error: nil, durationMs: 7),
                            smtpMessageID: "<two@x>", attemptedAt: Date())
    }

    @Test func deliveredInTwoPartsRemovesTheMessageAndLogsOnce() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let claim = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let (state, logged) = try await f.engine.outcomes.recordInTwoParts(entry(claim, .delivered(status: 202), status: 202))
        #expect(state == .delivered && logged)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: claim.message.id) } == nil)
        let rows = try logs(f, hook)
        #expect(rows.count == 1 && rows.first?.httpStatus == 202 && rows.first?.error == nil && rows.first?.smtpMessageID == "<two@x>")
        #expect(rows.first?.deliveryID == claim.delivery.id)
        await f.close()
    }

    @Test func failedInTwoPartsKeepsTheMessageAndLogsTheReason() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        try f.spool(to: [hook])
        let claim = try #require(try f.engine.claimDue(now: Date()).claims.first)
        let outcome = AttemptOutcome.failed(status: 410, reason: "HTTP 410 Gone: webhook deactivated", deactivate: true)
        let (state, logged) = try await f.engine.outcomes.recordInTwoParts(entry(claim, outcome, status: 410))
        #expect(state == .failed && logged)
        #expect(try f.delivery(claim.delivery.id)?.state == .failed)
        #expect(try f.store.read { try $0.get(Webhook.self, id: hook.id) }?.active == false)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: claim.message.id) } != nil)
        let rows = try logs(f, hook)
        #expect(rows.count == 1 && rows.first?.httpStatus == 410 && rows.first?.error == "HTTP 410 Gone: webhook deactivated")
        await f.close()
    }
}
