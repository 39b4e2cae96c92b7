import ConduitCore
import ConduitStore
import Foundation
import Testing

/// `deliveries.due_by_webhook`: the pending deliveries grouped by webhook,
/// as the claim pass reads them.
@Suite struct DueByWebhookTests {
    let directory = TemporaryDirectory()

    /// A delivery of `message` for `webhookID`, due at `due`.
    func delivery(of message: SpooledMessage, webhookID: String, due: Date) -> Delivery {
        Delivery(id: Identifier.generate().rawValue, messageID: message.id, webhookID: webhookID, accountID: "acc1",
                 rcptTo: "x@example.com", tag: nil, nextAttemptAt: due, createdAt: due)
    }

    @Test func webhooksAreListedOncePerWebhookAndEachWebhooksDueMailApart() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/env", mapSizeBytes: 64 << 20, schema: spoolSchema)
        var entry = makeEntry()
        let now = entry.deliveries[0].nextAttemptAt
        // "wh1" is a prefix of "wh10": their entries must not mix.
        let wh10Now = delivery(of: entry.message, webhookID: "wh10", due: now)
        let wh10Later = delivery(of: entry.message, webhookID: "wh10", due: now.addingTimeInterval(60))
        let wh1Earlier = delivery(of: entry.message, webhookID: "wh1", due: now.addingTimeInterval(-5))
        entry.deliveries += [wh10Now, wh10Later, wh1Earlier]
        try store.write { try $0.insert(entry) }
        let (wh1, wh2) = (entry.deliveries[0], entry.deliveries[1])

        try store.read { txn in
            #expect(try txn.webhooksWithPendingDeliveries(after: nil, limit: 10).map(\.id) == ["wh1", "wh10", "wh2"])
            #expect(try txn.webhooksWithPendingDeliveries(after: "wh1", limit: 10).map(\.id) == ["wh10", "wh2"])
            #expect(try txn.webhooksWithPendingDeliveries(after: nil, limit: 1).map(\.id) == ["wh1"])
            // Each with its earliest pending attempt, from the same entry.
            let firsts = try txn.webhooksWithPendingDeliveries(after: nil, limit: 10).map { $0.earliestAttempt.timeIntervalSince(now) }
            #expect(firsts.count == 3 && zip(firsts, [-5.0, 0, 0]).allSatisfy { abs($0 - $1) < 0.0005 })
            #expect(try txn.webhooksWithPendingDeliveries(after: "wh2", limit: 10).isEmpty)
            // Most overdue first, only what is due, only that webhook's.
            #expect(try txn.dueDeliveryIDs(ofWebhook: "wh1", at: now, limit: 10) == [wh1Earlier.id, wh1.id])
            #expect(try txn.dueDeliveryIDs(ofWebhook: "wh1", at: now, limit: 1) == [wh1Earlier.id])
            #expect(try txn.dueDeliveryIDs(ofWebhook: "wh10", at: now, limit: 10) == [wh10Now.id])
            #expect(try txn.dueDeliveryIDs(ofWebhook: "wh10", at: now.addingTimeInterval(60), limit: 10) == [wh10Now.id, wh10Later.id])
            #expect(try txn.dueDeliveryIDs(ofWebhook: "wh2", at: now.addingTimeInterval(-1), limit: 10).isEmpty)
            let earliest = try #require(try txn.earliestPendingAttempt())
            #expect(abs(earliest.timeIntervalSince(now) + 5) < 0.0005)
        }

        // A delivered delivery leaves the index; a moved one moves with it.
        var done = wh2
        done.state = .delivered
        var moved = wh1Earlier
        moved.nextAttemptAt = now.addingTimeInterval(30)
        try store.write { txn in
            try txn.update(done)
            try txn.update(moved)
        }
        try store.read { txn in
            #expect(try txn.webhooksWithPendingDeliveries(after: nil, limit: 10).map(\.id) == ["wh1", "wh10"])
            #expect(try txn.dueDeliveryIDs(ofWebhook: "wh1", at: now, limit: 10) == [wh1.id])
            #expect(try txn.dueDeliveryIDs(ofWebhook: "wh1", at: now.addingTimeInterval(30), limit: 10) == [wh1.id, moved.id])
            let earliest = try #require(try txn.earliestPendingAttempt())
            #expect(abs(earliest.timeIntervalSince(now)) < 0.0005)
        }

        // Nothing pending: no webhook, no earliest attempt.
        try store.write { _ = try $0.removeSpooledMessage(id: entry.message.id) }
        let (left, earliest) = try store.read { txn in
            (try txn.webhooksWithPendingDeliveries(after: nil, limit: 10), try txn.earliestPendingAttempt())
        }
        #expect(left.isEmpty && earliest == nil)
        store.close()
    }
}
