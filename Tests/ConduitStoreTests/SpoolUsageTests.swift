import ConduitCore
import ConduitStore
import Foundation
import Testing

/// Each account's spool charge (`SpoolUsage`): kept in step with inserts and
/// removals, enforced inside the write transaction, rebuilt by the
/// migration, and dropped with an account.
@Suite struct SpoolUsageTests {
    let directory = TemporaryDirectory()

    func openStore(schema: Schema = spoolSchema) throws -> Store {
        try Store(path: directory.path + "/env", mapSizeBytes: 64 << 20, schema: schema)
    }

    /// A message of `size` body bytes for one recipient per account.
    func entry(size: Int, accounts: [String], quota: Int? = nil) -> SpoolEntry {
        var base = makeEntry(body: Array(repeating: UInt8(ascii: "x"), count: size))
        base.message.recipients = accounts.enumerated().map { index, account in
            SpooledRecipient(rcptTo: "r\(index)@example.com", webhookID: "wh-\(account)", accountID: account, tag: nil)
        }
        base.deliveries = base.message.recipients.map { recipient in
            Delivery(id: Identifier.generate().rawValue, messageID: base.message.id, webhookID: recipient.webhookID,
                     accountID: recipient.accountID, rcptTo: recipient.rcptTo, tag: nil,
                     nextAttemptAt: base.message.receivedAt, createdAt: base.message.receivedAt)
        }
        base.logs = []
        base.accountQuotaBytes = quota
        return base
    }

    func usage(_ store: Store, _ account: String) throws -> Int {
        try store.read { try $0.spoolUsage(accountID: account) }
    }

    @Test func chargesEveryRecipientAccountOnceAndReleasesOnRemoval() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let shared = entry(size: 1000, accounts: ["a", "b", "a"])
        let own = entry(size: 10, accounts: ["a"])
        try store.write { txn in
            try txn.insert(shared)
            try txn.insert(own)
        }
        #expect(try usage(store, "a") == SpoolUsage.charge(bodySize: 1000) + SpoolUsage.charge(bodySize: 10))
        #expect(try usage(store, "b") == SpoolUsage.charge(bodySize: 1000))
        #expect(try usage(store, "c") == 0)

        try store.write { txn in _ = try txn.removeSpooledMessage(id: shared.message.id) }
        #expect(try usage(store, "a") == SpoolUsage.charge(bodySize: 10))
        #expect(try usage(store, "b") == 0)
        try store.write { txn in _ = try txn.removeSpooledMessage(id: own.message.id) }
        #expect(try usage(store, "a") == 0)
    }

    @Test func refusesAnEntryThatWouldPassTheQuotaAndWritesNothing() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let quota = 3 * SpoolUsage.charge(bodySize: 100)
        for _ in 0..<3 {
            try store.write { try $0.insert(entry(size: 100, accounts: ["a"], quota: quota)) }
        }
        let fourth = entry(size: 100, accounts: ["a", "b"], quota: quota)
        #expect(throws: StoreError.quotaExceeded(accountIDs: ["a"])) {
            try store.write { try $0.insert(fourth) }
        }
        #expect(try store.read { try $0.get(SpooledMessage.self, id: fourth.message.id) } == nil)
        #expect(try usage(store, "a") == quota)
        #expect(try usage(store, "b") == 0)
        // Another account is not affected by the full one.
        try store.write { try $0.insert(entry(size: 100, accounts: ["b"], quota: quota)) }
        #expect(try usage(store, "b") == SpoolUsage.charge(bodySize: 100))
    }

    @Test func spoolWriterReportsTheQuotaPerEntry() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        let quota = SpoolUsage.charge(bodySize: 500)
        try await writer.commit(entry(size: 500, accounts: ["a"], quota: quota))
        await #expect(throws: StoreError.quotaExceeded(accountIDs: ["a"])) {
            try await writer.commit(entry(size: 1, accounts: ["a"], quota: quota))
        }
        try await writer.commit(entry(size: 1, accounts: ["b"], quota: quota))
    }

    @Test func rebuildComputesChargesFromTheSpool() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        try store.write { txn in
            try txn.insert(entry(size: 300, accounts: ["a", "b"]))
            try txn.insert(entry(size: 700, accounts: ["a"]))
            // Damage the counters; the rebuild must not trust them.
            try txn.putRaw(database: SpoolUsage.database, key: "a", bytes: [UInt8](repeating: 0xFF, count: 8))
            try txn.putRaw(database: SpoolUsage.database, key: "ghost", bytes: [1, 0, 0, 0, 0, 0, 0, 0])
        }
        try store.write { try $0.rebuildSpoolUsage() }
        #expect(try usage(store, "a") == SpoolUsage.charge(bodySize: 300) + SpoolUsage.charge(bodySize: 700))
        #expect(try usage(store, "b") == SpoolUsage.charge(bodySize: 300))
        #expect(try usage(store, "ghost") == 0)
    }

    @Test func removingAnAccountsSpoolFreesItAtOnceAndKeepsSharedMailForOthers() throws {
        defer { directory.cleanup() }
        let schema = Schema(version: 1, records: [Webhook.self] + Spool.recordTypes, rawDatabases: Spool.rawDatabases)
        let store = try openStore(schema: schema)
        let now = storedNow()
        let own = entry(size: 100, accounts: ["a"])
        let shared = entry(size: 200, accounts: ["a", "b"])
        try store.write { txn in
            for account in ["a", "b"] {
                try txn.insert(Webhook(
                    id: "wh-\(account)", accountID: account, address: "\(account)@example.com",
                    targetURL: "https://r.example/", secret: "whsec_x", customHeaders: [:], payloadTemplate: nil,
                    rateLimit: 0, active: true, smtpSecurityPolicyID: nil, createdAt: now
                ))
            }
            try txn.insert(own)
            try txn.insert(shared)
        }
        try store.write { try $0.removeSpool(ofAccount: "a") }

        #expect(try usage(store, "a") == 0)
        #expect(try usage(store, "b") == SpoolUsage.charge(bodySize: 200))
        #expect(try store.read { try $0.get(SpooledMessage.self, id: own.message.id) } == nil)
        #expect(try store.spooledBody(id: own.message.id) == nil)
        #expect(try store.read { try $0.deliveries(ofMessage: shared.message.id) }.map(\.accountID) == ["b"])
        // When b's delivery is done the shared message leaves, and a's
        // dropped charge is not released twice.
        try store.write { _ = try $0.removeSpooledMessage(id: shared.message.id) }
        #expect(try usage(store, "b") == 0)
        #expect(try usage(store, "a") == 0)
    }
}
