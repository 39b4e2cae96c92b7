import ConduitCore
import Foundation
import Testing
@testable import ConduitApp
@testable import ConduitStore

/// Opening a copy of `Tests/Fixtures/store-v3` — a store the schema-3 build
/// wrote, every record JSON — migrates it to schema 4: every value of every
/// table becomes format 2 and reads back equal to what the JSON held, and
/// the indexes still find every record.
@Suite struct StoreFixtureMigrationTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/store-v3")

    struct Manifest: Decodable {
        struct Person: Decodable { var email: String; var id: String }
        var alice: Person
        var bob: Person
        var domain: String
        var policy: String
        var webhooks: [String: String]
        var messages: [String: String]
        var log_counts: [String: Int]
    }

    /// A fresh copy of the fixture's data file (opening the committed one would migrate it).
    func copyOfFixture() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-v3-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture.appendingPathComponent("data/data.mdb").path, toPath: directory + "/data.mdb")
        return directory
    }

    /// Every record of `type` as the format-1 reader sees it, in key order.
    func legacyRecords<R: StoreRecord>(_ type: R.Type, in store: Store) throws -> [R] {
        try store.read { txn in
            var records: [R] = []
            try txn.raw.scan(R.tableName) { _, value in
                records.append(try LegacyRecordFormat.decode(R.self, from: value))
                return true
            }
            return records
        }
    }

    func migratedRecords<R: StoreRecord>(_ type: R.Type, in store: Store) throws -> [R] {
        try store.read { try $0.scan(R.self, newestFirst: false) }
    }

    @Test func theSchema3FixtureMigratesWithNothingLost() throws {
        let directory = try copyOfFixture()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: Self.fixture.appendingPathComponent("manifest.json")))

        // Before: schema 3, JSON everywhere.
        let old = try Store(readOnlyAt: directory, schema: AppSchema.current)
        #expect(old.schemaVersion == 3)
        let accounts = try legacyRecords(Account.self, in: old)
        let sessions = try legacyRecords(Session.self, in: old)
        let tokens = try legacyRecords(APIToken.self, in: old)
        let challenges = try legacyRecords(LoginChallenge.self, in: old)
        let failures = try legacyRecords(SignInFailures.self, in: old)
        let domains = try legacyRecords(Domain.self, in: old)
        let policies = try legacyRecords(SMTPSecurityPolicy.self, in: old)
        let webhooks = try legacyRecords(Webhook.self, in: old)
        let messages = try legacyRecords(SpooledMessage.self, in: old)
        let deliveries = try legacyRecords(Delivery.self, in: old)
        let logs = try legacyRecords(DeliveryLog.self, in: old)
        let usage = try old.read { try $0.spoolUsage(accountID: manifest.alice.id) }
        old.close()
        #expect(accounts.count == 2 && sessions.count == 2 && tokens.count == 1 && challenges.count == 1 && failures.count == 1)
        #expect(domains.count == 2 && policies.count == 1 && webhooks.count == 4)
        #expect(messages.count == 3 && deliveries.count == 4 && logs.count == 5)

        // After: the current schema (4: binary records, 5: due_by_webhook), the same records.
        let store = try Store(path: directory, mapSizeBytes: 64 << 20, schema: AppSchema.current)
        defer { store.close() }
        #expect(store.schemaVersion == AppSchema.current.version)
        #expect(try migratedRecords(Account.self, in: store) == accounts)
        #expect(try migratedRecords(Session.self, in: store) == sessions)
        #expect(try migratedRecords(APIToken.self, in: store) == tokens)
        #expect(try migratedRecords(LoginChallenge.self, in: store) == challenges)
        #expect(try migratedRecords(SignInFailures.self, in: store) == failures)
        #expect(try migratedRecords(Domain.self, in: store) == domains)
        #expect(try migratedRecords(SMTPSecurityPolicy.self, in: store) == policies)
        #expect(try migratedRecords(Webhook.self, in: store) == webhooks)
        #expect(try migratedRecords(SpooledMessage.self, in: store) == messages)
        #expect(try migratedRecords(Delivery.self, in: store) == deliveries)
        #expect(try migratedRecords(DeliveryLog.self, in: store) == logs)
        #expect(try store.read { try $0.spoolUsage(accountID: manifest.alice.id) } == usage)

        // Every value of every table is format 2 now.
        try store.read { txn in
            for type in AppSchema.current.records {
                try txn.raw.scan(type.tableName) { key, value in
                    #expect(value.first == 2, "\(type.tableName) \(String(decoding: key, as: UTF8.self))")
                    return true
                }
            }
        }

        // The indexes still lead to the records.
        try store.read { txn in
            let alice = try txn.lookup(Account.self, index: .byEmail, key: manifest.alice.email)
            #expect(alice?.id == manifest.alice.id)
            #expect(alice?.totp != nil)
            #expect(try txn.list(APIToken.self, index: .byAccount, key: manifest.alice.id).count == 1)
            #expect(try txn.list(Webhook.self, index: .byAccount, key: manifest.alice.id).count == 3)
            let delivered = try txn.lookup(Webhook.self, index: .byAddress, key: "delivered@in.conduit.test")
            #expect(delivered?.customHeaders["X-Note"] == "ünïcode ✓")
            #expect(delivered?.smtpSecurityPolicyID == manifest.policy)
            #expect(try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "fixture-relay")?.id == manifest.policy)
            #expect(try txn.list(Domain.self, index: .byAccount, key: manifest.alice.id).map(\.id) == [manifest.domain])
            let due = try txn.list(Delivery.self, index: .due, below: ExpiryKey.after(.distantFuture), limit: 100)
            #expect(due.count == 2)
            #expect(due.allSatisfy { $0.webhookID == manifest.webhooks["pending"] && $0.state == .pending })
            // Migration 5 built the per-webhook due index over them.
            let pendingHook = try #require(manifest.webhooks["pending"])
            #expect(try txn.webhooksWithPendingDeliveries(after: nil, limit: 10).map(\.id) == [pendingHook])
            #expect(Set(try txn.dueDeliveryIDs(ofWebhook: pendingHook, at: .distantFuture, limit: 10)) == Set(due.map(\.id)))
            for (name, count) in manifest.log_counts {
                let id = try #require(manifest.webhooks[name])
                #expect(try txn.list(DeliveryLog.self, index: .byWebhook, key: id).count == count, "\(name)")
            }
            #expect(try txn.get(SpooledMessage.self, id: try #require(manifest.messages["only_pending"])) != nil)
        }

        // The migrated store takes writes in the new format.
        var delivery = try #require(deliveries.first)
        delivery.attempts += 1
        try store.write { try $0.update(delivery) }
        #expect(try store.read { try $0.get(Delivery.self, id: delivery.id) } == delivery)
    }

    /// Migration 3 reads the spool to compute charges: on a JSON store of
    /// version 2 it converts the records first, then computes.
    @Test func aVersion2JSONStoreIsConvertedBeforeMigration3ReadsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-v2-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let message = SpooledMessage(
            id: Identifier.generate().rawValue, receivedAt: Date(timeIntervalSince1970: 1_796_530_626.748), mailFrom: "a@example.org",
            remoteIP: "192.0.2.1", helo: "mx.example.org", tls: false, authUser: nil, spf: nil, dkim: [], size: 5000,
            recipients: [SpooledRecipient(rcptTo: "in@example.com", webhookID: "wh1", accountID: "acc1", tag: nil)])
        let delivery = Delivery(id: Identifier.generate().rawValue, messageID: message.id, webhookID: "wh1", accountID: "acc1",
                                rcptTo: "in@example.com", tag: nil, nextAttemptAt: message.receivedAt, createdAt: message.receivedAt)
        let body = [UInt8](repeating: 65, count: 5000)
        let v2 = Schema(version: 2, records: AppSchema.current.records, rawDatabases: AppSchema.current.rawDatabases)
        let old = try Store(path: directory, mapSizeBytes: 16 << 20, schema: v2)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        try old.write { txn in
            try txn.insert(SpoolEntry(message: message, body: body, deliveries: [delivery]))
            // As version 2 wrote them: JSON, and no charges.
            try txn.raw.put(SpooledMessage.tableName, key: Array(message.id.utf8), value: [1] + Array(try encoder.encode(message)))
            try txn.raw.put(Delivery.tableName, key: Array(delivery.id.utf8), value: [1] + Array(try encoder.encode(delivery)))
            #expect(try txn.deleteRaw(database: SpoolUsage.database, key: "acc1"))
        }
        old.close()

        let store = try Store(path: directory, mapSizeBytes: 16 << 20, schema: AppSchema.current)
        defer { store.close() }
        #expect(store.schemaVersion == AppSchema.current.version)
        #expect(try store.read { try $0.spoolUsage(accountID: "acc1") } == SpoolUsage.charge(bodySize: body.count))
        #expect(try store.read { try $0.get(SpooledMessage.self, id: message.id) } == message)
        #expect(try store.read { try $0.list(Delivery.self, index: .byMessage, key: message.id) }.map(\.id) == [delivery.id])
    }
}
