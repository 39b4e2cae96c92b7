import ConduitCore
@testable import ConduitStore
import Foundation
import Logging
import Testing
@testable import ConduitWebhooks

/// The delivery log over a real store: paging newest first, retention, and
/// removal with its webhook.
@Suite struct DeliveryLogTests {
    final class Fixture {
        let directory: String
        let store: Store
        let service: WebhookService

        init() throws {
            var template = Array("/tmp/conduit-webhooks-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(path: directory, mapSizeBytes: 16 << 20,
                              schema: Schema(version: 1, records: [Domain.self, Webhook.self, SMTPSecurityPolicy.self, DeliveryLog.self]))
            service = WebhookService(store: store, logger: Logger(label: "test"))
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func webhook(account: String = "acct") throws -> Webhook {
            let hook = Webhook(id: Identifier.generate().rawValue, accountID: account, address: "a\(UUID().uuidString.prefix(6).lowercased())@x.example",
                               targetURL: "https://r.example/", secret: "whsec_x", customHeaders: [:], payloadTemplate: nil,
                               rateLimit: 0, active: true, smtpSecurityPolicyID: nil, createdAt: Date())
            try store.write { try $0.insert(hook) }
            return hook
        }

        @discardableResult
        func log(_ hook: Webhook, at date: Date) throws -> DeliveryLog {
            let row = DeliveryLog(id: Identifier.generate().rawValue, webhookID: hook.id, accountID: hook.accountID, deliveryID: nil,
                                  messageID: "m", smtpMessageID: nil, sender: "s@example.org", attemptedAt: date, durationMs: 1,
                                  httpStatus: 200, error: nil, simulated: false)
            try store.write { try $0.insert(row) }
            return row
        }
    }

    @Test func pagesAreNewestFirstAndPrivate() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let other = try f.webhook()
        let rows = try (0..<5).map { _ in try f.log(hook, at: Date()) }
        try f.log(other, at: Date())
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: 1, pageSize: 50).map(\.id) == rows.reversed().map(\.id))
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: 2, pageSize: 2).map(\.id) == [rows[2].id, rows[1].id])
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: 3, pageSize: 2).map(\.id) == [rows[0].id])
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: 4, pageSize: 2).isEmpty)
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: Int.max, pageSize: 100).isEmpty)
        #expect(throws: ResourceError.notFound) { try f.service.logs(accountID: "someone-else", webhookID: hook.id, page: 1, pageSize: 50) }
    }

    // A page number past the end is answered without walking to it; a walk of
    // a million pages would run far past the limit. (No sub-second bound: a
    // busy scheduler can pause any thread for that long.)
    @Test(.timeLimit(.minutes(1))) func aFarPageReadsNoRowBeforeIt() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let rows = try f.store.write { txn in
            try (0..<3000).map { n in
                let row = DeliveryLog(id: Identifier.generate().rawValue, webhookID: hook.id, accountID: "acct", deliveryID: nil,
                                      messageID: "m\(n)", smtpMessageID: nil, sender: "s@example.org", attemptedAt: Date(), durationMs: 1,
                                      httpStatus: 200, error: nil, simulated: false)
                try txn.insert(row)
                return row
            }
        }
        // The 2,900 newest rows (pages 1…29 of 100) cannot be decoded any more:
        // page 30 is served only if none of them is read.
        // A row overwritten with a value cut short no longer decodes.
        try f.store.write { txn in for row in rows.suffix(2900) { try txn.raw.put(DeliveryLog.tableName, key: Array(row.id.utf8), value: [2, 1]) } }
        let page = try f.service.logs(accountID: "acct", webhookID: hook.id, page: 30, pageSize: 100)
        #expect(page.map(\.id) == rows.prefix(100).reversed().map(\.id))
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: 1_000_000, pageSize: 100).isEmpty)
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: 31, pageSize: 100).isEmpty)
    }

    @Test func retentionRemovesOnlyOldRows() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let now = Date()
        for days in [40, 31, 29, 1] { try f.log(hook, at: now.addingTimeInterval(-Double(days) * 86_400)) }
        #expect(try f.service.pruneLogs(attemptedBefore: now.addingTimeInterval(-30 * 86_400), batch: 1) == 1)
        #expect(try f.service.pruneLogs(attemptedBefore: now.addingTimeInterval(-30 * 86_400)) == 1)
        #expect(try f.service.pruneLogs(attemptedBefore: now.addingTimeInterval(-30 * 86_400)) == 0)
        #expect(try f.service.logs(accountID: "acct", webhookID: hook.id, page: 1, pageSize: 50).count == 2)
    }

    @Test func deletingAWebhookDeletesItsLog() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let kept = try f.webhook()
        try f.log(hook, at: Date())
        let survivor = try f.log(kept, at: Date())
        try f.service.delete(accountID: "acct", id: hook.id)
        #expect(try f.store.read { try $0.scan(DeliveryLog.self) }.map(\.id) == [survivor.id])
    }
}
