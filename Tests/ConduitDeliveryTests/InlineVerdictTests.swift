import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// The inline first attempt's SMTP verdict (docs/DELIVERY.md): 550 only when every
/// delivery of the message failed for good; 250 while any is still pending.
@Suite(.serialized) struct InlineVerdictTests {
    typealias Fixture = DeliveryEngineTests.Fixture

    static let refused = AttemptReport(outcome: .failed(status: 400, reason: "HTTP 400", deactivate: false),
                                       response: WebhookResponse(status: 400, error: nil, durationMs: 3))
    static let retrying = AttemptReport(outcome: .retry(status: 503, reason: "HTTP 503", retryAfter: nil),
                                        response: WebhookResponse(status: 503, error: nil, durationMs: 3))

    @Test func rejectedOnlyWhenEveryDeliveryIsOverForGood() {
        #expect(SpoolVerdict.of(reports: [Self.refused], states: [.failed]) == .rejected(status: 400, reason: "HTTP 400"))
        #expect(SpoolVerdict.of(reports: [Self.refused, Self.refused], states: [.failed, .failed])
            == .rejected(status: 400, reason: "HTTP 400"))
        // A sibling the inline pass did not claim (rate limit, busy webhook) is pending.
        #expect(SpoolVerdict.of(reports: [Self.refused], states: [.failed, .pending]) == .accepted)
        // Retrying, or its outcome not recorded: pending.
        #expect(SpoolVerdict.of(reports: [Self.refused, Self.retrying], states: [.failed, .pending]) == .accepted)
        #expect(SpoolVerdict.of(reports: [Self.refused], states: [.pending]) == .accepted)
        // Delivered to one recipient: no bounce for the others.
        #expect(SpoolVerdict.of(reports: [Self.refused], states: [.failed, .delivered]) == .accepted)
        // Nothing left in the spool: everything was delivered.
        #expect(SpoolVerdict.of(reports: [Self.refused], states: []) == .accepted)
        // A retry that outlived max_age_hours is over for good too.
        #expect(SpoolVerdict.of(reports: [Self.retrying], states: [.dead]) == .rejected(status: 503, reason: "HTTP 503"))
        #expect(SpoolVerdict.of(reports: [Self.retrying, Self.refused], states: [.dead, .failed])
            == .rejected(status: 400, reason: "HTTP 400"))
    }

    @Test func aRateLimitedSiblingKeepsTheMessageAccepted() async throws {
        let f = try await Fixture()
        let limited = try f.webhook(rateLimit: 1)
        let refusing = try f.webhook(secret: "whsec_?")  // fails for good before any POST
        // An earlier message takes the limited webhook's one token of the minute.
        try f.spool(to: [limited])
        #expect(try f.engine.claimDue(now: Date()).claims.map(\.webhook.id) == [limited.id])

        let both = try f.spool(to: [limited, refusing])
        let verdict = await f.engine.deliverInline(messageID: both[0].messageID, timeout: WebhookHTTPClientTests.patience)
        #expect(verdict == .accepted)
        let waiting = try #require(try f.delivery(both[0].id))
        #expect(waiting.state == .pending && waiting.attempts == 0 && waiting.nextAttemptAt > Date())
        #expect(try f.delivery(both[1].id)?.state == .failed)

        // Alone, the refused delivery bounces the message.
        let alone = try f.spool(to: [refusing])
        let bounced = await f.engine.deliverInline(messageID: alone[0].messageID, timeout: WebhookHTTPClientTests.patience)
        guard case let .rejected(status, reason) = bounced else {
            Issue.record("expected a rejection, got \(bounced)")
            await f.close()
            return
        }
        #expect(status == nil && reason.contains("whsec_"))
        await f.close()
    }

    @Test func aSiblingWaitingForABusyWebhookKeepsTheMessageAccepted() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 1)
        let busy = try f.webhook()
        let refusing = try f.webhook(secret: "whsec_?")
        // The busy webhook's one slot is taken by a POST still running.
        try f.spool(to: [busy])
        #expect(try f.engine.claimDue(now: Date()).claims.map(\.webhook.id) == [busy.id])

        let both = try f.spool(to: [busy, refusing])
        #expect(await f.engine.deliverInline(messageID: both[0].messageID, timeout: WebhookHTTPClientTests.patience) == .accepted)
        #expect(try f.delivery(both[0].id)?.state == .pending && f.delivery(both[0].id)?.attempts == 0)
        #expect(try f.delivery(both[1].id)?.state == .failed)
        await f.close()
    }
}
