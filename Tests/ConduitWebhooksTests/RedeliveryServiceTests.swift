import ConduitCore
@testable import ConduitStore
import Foundation
import Logging
import Synchronization
import Testing
@testable import ConduitWebhooks

/// `RedeliveryService` over a real store (docs/DELIVERY.md, "Redelivery"):
/// what one and many redeliveries write, and every refusal.
@Suite struct RedeliveryServiceTests {
    final class Fixture {
        let directory: String
        let store: Store
        final class WakeCount: Sendable {
            let value = Atomic<Int>(0)
            var count: Int { value.load(ordering: .relaxed) }
        }
        let wakes = WakeCount()
        var service: RedeliveryService!

        init(maxPending: Int = RedeliveryService.maxPending) throws {
            var template = Array("/tmp/conduit-redeliver-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(path: directory, mapSizeBytes: 256 << 20,
                              schema: Schema(version: 1, records: [Webhook.self] + Spool.recordTypes, rawDatabases: Spool.rawDatabases))
            let wakes = wakes
            service = RedeliveryService(store: store, logger: Logger(label: "test"), maxPending: maxPending) { wakes.value.add(1, ordering: .relaxed) }
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func webhook(account: String = "acct", active: Bool = true) throws -> Webhook {
            let hook = Webhook(id: Identifier.generate().rawValue, accountID: account, address: "a\(UUID().uuidString.prefix(6).lowercased())@x.example",
                               targetURL: "https://r.example/", secret: "whsec_x", customHeaders: [:], payloadTemplate: nil,
                               rateLimit: 0, active: active, smtpSecurityPolicyID: nil, createdAt: Date())
            try store.write { try $0.insert(hook) }
            return hook
        }

        /// Spools `count` messages for `hook`, each with one delivery in
        /// `state` and its log row; returns (delivery, log row) pairs.
        @discardableResult
        func spool(_ hook: Webhook, state: Delivery.State, receivedAt: Date = Date(), count: Int = 1) throws -> [(Delivery, DeliveryLog)] {
            try store.write { txn in
                try (0..<count).map { _ in
                    let id = Identifier.generate().rawValue
                    let message = SpooledMessage(id: id, receivedAt: receivedAt, mailFrom: "s@example.org", remoteIP: "192.0.2.1", helo: "c",
                                                 tls: false, authUser: nil, spf: nil, dkim: [], size: 0,
                                                 recipients: [SpooledRecipient(rcptTo: hook.address, webhookID: hook.id, accountID: hook.accountID, tag: "t")])
                    let delivery = Delivery(id: Identifier.generate().rawValue, messageID: id, webhookID: hook.id, accountID: hook.accountID,
                                            rcptTo: hook.address, tag: "t", state: state, attempts: 1, nextAttemptAt: receivedAt,
                                            createdAt: receivedAt)
                    let log = DeliveryLog(id: Identifier.generate().rawValue, webhookID: hook.id, accountID: hook.accountID, deliveryID: delivery.id,
                                          messageID: id, smtpMessageID: nil, sender: "s@example.org", attemptedAt: receivedAt, durationMs: 1,
                                          httpStatus: 200, error: nil, simulated: false)
                    try txn.insert(SpoolEntry(message: message, body: Array("Subject: x\r\n\r\nhi\r\n".utf8), deliveries: [delivery], logs: [log]))
                    return (delivery, log)
                }
            }
        }

        func pending(_ hook: Webhook) throws -> [Delivery] {
            try store.read { try $0.list(Delivery.self, index: .byWebhook, key: hook.id) }.filter { $0.state == .pending }
        }
    }

    @Test func oneLogRowBecomesANewPendingDelivery() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let (original, log) = try #require(try f.spool(hook, state: .delivered).first)
        let now = Date()
        let redelivery = try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: log.id, now: now)
        #expect(redelivery.id != original.id && redelivery.redeliveryOf == original.id)
        let stored = try #require(try f.store.read { try $0.get(Delivery.self, id: redelivery.id) })
        #expect(stored.state == .pending && stored.attempts == 0 && stored.nextAttemptAt == now && stored.createdAt == now)
        #expect(stored.messageID == original.messageID && stored.rcptTo == original.rcptTo && stored.tag == "t" && stored.redeliveryOf == original.id)
        #expect(f.wakes.count == 1)
        // The original is still pending-free: a second replay of the same row is allowed (a new id again).
        #expect(try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: log.id).id != redelivery.id)
    }

    @Test func rowsOfOthersAndUnknownRowsAre404() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let otherHook = try f.webhook()
        let foreign = try f.webhook(account: "other")
        let (_, log) = try #require(try f.spool(hook, state: .delivered).first)
        let (_, foreignLog) = try #require(try f.spool(foreign, state: .delivered).first)
        #expect(throws: ResourceError.notFound) { try f.service.redeliver(accountID: "other", webhookID: hook.id, logID: log.id) }
        #expect(throws: ResourceError.notFound) { try f.service.redeliver(accountID: "acct", webhookID: otherHook.id, logID: log.id) }
        #expect(throws: ResourceError.notFound) { try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: foreignLog.id) }
        #expect(throws: ResourceError.notFound) { try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: Identifier.generate().rawValue) }
        #expect(throws: ResourceError.notFound) { try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: "../x") }
        #expect(throws: ResourceError.notFound) { try f.service.redeliverNow(accountID: "other", webhookID: hook.id, filter: RedeliveryFilter()) }
        #expect(try f.pending(hook).isEmpty && f.wakes.count == 0)
    }

    @Test func aMessageNoLongerKeptIs410() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let (original, log) = try #require(try f.spool(hook, state: .delivered).first)
        _ = try f.store.write { try $0.removeSpooledMessage(id: original.messageID) }
        #expect(throws: RedeliveryService.expired) { try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: log.id) }
        #expect(RedeliveryService.expired == .gone(code: "message_expired", message: RedeliveryService.expired.message))
    }

    @Test func refusalsInTheResourcesState() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let (_, pendingLog) = try #require(try f.spool(hook, state: .pending).first)
        #expect(throws: ResourceError.conflict(code: "delivery_pending", message: "The delivery is still pending; it can be redelivered once it is finished")) {
            try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: pendingLog.id)
        }
        let simulated = DeliveryLog(id: Identifier.generate().rawValue, webhookID: hook.id, accountID: "acct", deliveryID: nil, messageID: "m",
                                    smtpMessageID: nil, sender: "s@example.org", attemptedAt: Date(), durationMs: 1, httpStatus: 200,
                                    error: nil, simulated: true)
        try f.store.write { try $0.insert(simulated) }
        #expect(throws: (any Error).self) { try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: simulated.id) }
        do {
            _ = try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: simulated.id)
        } catch let ResourceError.invalid(code, _) {
            #expect(code == "not_redeliverable")
        }
        let inactive = try f.webhook(active: false)
        let (_, inactiveLog) = try #require(try f.spool(inactive, state: .failed).first)
        for attempt in [{ _ = try f.service.redeliver(accountID: "acct", webhookID: inactive.id, logID: inactiveLog.id) },
                        { _ = try f.service.redeliverNow(accountID: "acct", webhookID: inactive.id, filter: RedeliveryFilter()) }] {
            do {
                try attempt()
                Issue.record("an inactive webhook took a redelivery")
            } catch let ResourceError.conflict(code, _) {
                #expect(code == "webhook_inactive")
            }
        }
    }

    @Test func bulkFollowsStatusAndReceivedAtAndReplaysTheLatestOnce() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        let day: TimeInterval = 86_400
        let old = Date().addingTimeInterval(-3 * day)
        let failedOld = try f.spool(hook, state: .failed, receivedAt: old)
        let failedNew = try f.spool(hook, state: .failed, count: 2)
        try f.spool(hook, state: .dead, count: 3)
        try f.spool(hook, state: .delivered, count: 4)
        try f.spool(hook, state: .pending, count: 5)
        let other = try f.webhook()
        try f.spool(other, state: .failed, count: 6)

        let since = Date().addingTimeInterval(-day)
        #expect(try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter(states: [.failed], since: since)) == 2)
        let queued = try f.pending(hook).filter { $0.redeliveryOf != nil }
        #expect(Set(queued.compactMap(\.redeliveryOf)) == Set(failedNew.map(\.0.id)))
        // The latest delivery of those two is now pending: asking again replays only the old one.
        #expect(try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter(states: [.failed])) == 1)
        #expect(try f.pending(hook).contains { $0.redeliveryOf == failedOld[0].0.id })
        #expect(try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter(states: [.failed])) == 0)
        #expect(try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter(states: [.dead], until: old)) == 0)
        #expect(try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter(states: [.dead, .delivered])) == 7)
        #expect(try f.pending(other).isEmpty)
        // 5 pending originals + 3 + 7 redeliveries.
        #expect(try f.pending(hook).count == 15)
    }

    @Test func moreThanTenThousandMatchesIs422BeforeAnythingIsWritten() throws {
        let f = try Fixture()
        let hook = try f.webhook()
        #expect(RedeliveryService.maxPerCall == 10_000)
        try f.spool(hook, state: .failed, count: 10_001)
        do {
            _ = try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter(status: "any", since: nil, until: nil))
            Issue.record("10,001 messages were accepted")
        } catch let ResourceError.invalid(code, message) {
            #expect(code == "too_many_messages" && message.contains("10000"))
        }
        #expect(try f.pending(hook).isEmpty && f.wakes.count == 0)
        // Exactly the limit passes, in one call.
        let extra = try #require(try f.store.read { try $0.list(Delivery.self, index: .byWebhook, key: hook.id, limit: 1) }.first)
        _ = try f.store.write { try $0.removeSpooledMessage(id: extra.messageID) }
        #expect(try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter()) == 10_000)
        #expect(try f.pending(hook).count == 10_000)
    }

    @Test func pendingDeliveriesAreCapped() throws {
        let f = try Fixture(maxPending: 3)
        let hook = try f.webhook()
        try f.spool(hook, state: .pending, count: 2)
        let failed = try f.spool(hook, state: .failed, count: 2)
        do {
            _ = try f.service.redeliverNow(accountID: "acct", webhookID: hook.id, filter: RedeliveryFilter())
            Issue.record("the pending cap was passed")
        } catch let ResourceError.conflict(code, message) {
            #expect(code == "too_many_pending" && message.contains("3"))
        }
        #expect(try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: failed[0].1.id).redeliveryOf == failed[0].0.id)
        #expect(throws: (any Error).self) { try f.service.redeliver(accountID: "acct", webhookID: hook.id, logID: failed[1].1.id) }
    }

    @Test func filterFieldsAreChecked() throws {
        #expect(try RedeliveryFilter(status: nil, since: nil, until: nil).states == [.failed])
        #expect(try RedeliveryFilter(status: "any", since: nil, until: nil).states == [.failed, .dead, .delivered])
        let bounded = try RedeliveryFilter(status: "dead", since: "2026-12-01T00:00:00Z", until: "2026-12-02T01:00:00.5+01:00")
        #expect(bounded.since == Date(timeIntervalSince1970: 1_796_083_200))
        #expect(bounded.until == Date(timeIntervalSince1970: 1_796_083_200 + 86_400 + 0.5))
        for (status, since, until, code) in [
            ("pending", nil, nil, "invalid_status"), ("FAILED", nil, nil, "invalid_status"),
            (nil, "yesterday", nil, "invalid_since"), (nil, nil, "2026-12-01", "invalid_until"),
            (nil, "2026-12-02T00:00:00Z", "2026-12-01T00:00:00Z", "invalid_range"),
        ] as [(String?, String?, String?, String)] {
            do {
                _ = try RedeliveryFilter(status: status, since: since, until: until)
                Issue.record("accepted \(String(describing: status)) \(String(describing: since)) \(String(describing: until))")
            } catch let .invalid(got, _) {
                #expect(got == code)
            } catch {
                Issue.record("\(error)")
            }
        }
    }
}

extension ResourceError {
    var message: String {
        switch self {
        case let .invalid(_, message), let .gone(_, message), let .conflict(_, message): message
        default: ""
        }
    }
}
