import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// Issue 12 item 1 on the attempt path, over a real store: a template past
/// its render budget fails the delivery for good (no retry, no POST) and
/// its log row says why.
@Suite(.serialized) struct TemplateBudgetAttemptTests {
    @Test func anAttemptPastTheRenderBudgetFailsForGoodWithItsReason() async throws {
        let f = try await DeliveryEngineTests.Fixture()
        var hook = try f.webhook()
        hook.payloadTemplate = String(repeating: "{{#headers}}", count: 8) + "x" + String(repeating: "{{/headers}}", count: 8)
        try f.store.write { try $0.update(hook) }
        let headers = (0..<12).map { "X-Filler-\($0): v\r\n" }.joined()
        let id = Identifier.generate().rawValue
        let message = SpooledMessage(id: id, receivedAt: Date(), mailFrom: "s@example.org", remoteIP: "192.0.2.1", helo: "c.example",
                                     tls: false, authUser: nil, spf: nil, dkim: [], size: 0,
                                     recipients: [SpooledRecipient(rcptTo: hook.address, webhookID: hook.id, accountID: hook.accountID, tag: nil)])
        let delivery = Delivery(id: Identifier.generate().rawValue, messageID: id, webhookID: hook.id, accountID: hook.accountID,
                                rcptTo: hook.address, tag: nil, nextAttemptAt: Date(), createdAt: Date())
        try f.store.write {
            try $0.insert(SpoolEntry(message: message, body: Array("Subject: x\r\n\(headers)\r\nhi\r\n".utf8), deliveries: [delivery], logs: []))
        }
        let claim = try #require(try f.engine.claimDue(now: Date()).claims.first)
        // How fast it gives up is the integration test's (simulate within 5 s);
        // here the budget is what ends the render, not a clock.
        let report = try #require(await f.engine.attempt(claim))
        guard case let .failed(status, reason, deactivate) = report.outcome else {
            Issue.record("expected a permanent failure, got \(report.outcome)")
            await f.close()
            return
        }
        #expect(status == nil && !deactivate && reason.contains("exceeded its render budget"))
        let after = try #require(try f.delivery(delivery.id))
        #expect(after.state == .failed && after.attempts == 1)
        // Not due again: nothing re-leases it.
        #expect(try f.engine.claimDue(now: Date().addingTimeInterval(7200)).claims.isEmpty)
        let logs = try f.store.read { try $0.list(DeliveryLog.self, index: .byWebhook, key: hook.id) }
        #expect(logs.count == 1 && logs[0].httpStatus == nil && logs[0].error?.contains("exceeded its render budget") == true)
        await f.close()
    }
}
