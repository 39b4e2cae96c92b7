import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitApp

/// `AppSchema.current` upgrades a version-1 store: SMTP AUTH user names
/// become unique, the oldest policy keeping a shared name (issue 12, item 6).
@Suite struct AppSchemaMigrationTests {
    /// A version-1 policy table: the same table and values, without the
    /// `by_username` index, so it can hold duplicate user names.
    struct VersionOnePolicy: StoreRecord {
        static let tableName = SMTPSecurityPolicy.tableName
        static let indexes: [RecordIndex<VersionOnePolicy>] = [RecordIndex(IndexName("by_account"), unique: false, key: { $0.policy.accountID })]
        var policy: SMTPSecurityPolicy
        var id: String { policy.id }
        init(_ policy: SMTPSecurityPolicy) { self.policy = policy }
        init(from decoder: any Decoder) throws { policy = try SMTPSecurityPolicy(from: decoder) }
        func encode(to encoder: any Encoder) throws { try policy.encode(to: encoder) }
        static let layoutVersion = SMTPSecurityPolicy.layoutVersion
        func encode(to writer: inout RecordWriter) { policy.encode(to: &writer) }
        static func decode(from reader: inout RecordReader) throws(StoreError) -> VersionOnePolicy { VersionOnePolicy(try SMTPSecurityPolicy.decode(from: &reader)) }
    }

    @Test func versionOneStoresGetUniqueUserNames() throws {
        let directory = NSTemporaryDirectory() + "conduit-schema-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func policy(_ account: String, _ users: [String]) -> SMTPSecurityPolicy {
            var p = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: account, name: account, createdAt: Date())
            p.credentials = users.map { SMTPCredential(username: $0, passwordHash: "hash") }
            return p
        }
        let older = policy("victim", ["relay"])
        let newer = policy("squatter", ["relay", "own"])
        let old = try Store(path: directory, mapSizeBytes: 16 << 20, schema: Schema(version: 1, records: [VersionOnePolicy.self]))
        try old.write { txn in
            try txn.insert(VersionOnePolicy(newer))
            try txn.insert(VersionOnePolicy(older))
        }
        old.close()

        #expect(AppSchema.current.version >= 2)
        let store = try Store(path: directory, mapSizeBytes: 16 << 20, schema: AppSchema.current)
        defer { store.close() }
        #expect(store.schemaVersion == AppSchema.current.version)
        let (relay, own, kept) = try store.read { txn in
            (try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "relay"),
             try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "own"),
             try txn.get(SMTPSecurityPolicy.self, id: newer.id))
        }
        #expect(relay?.id == older.id)
        #expect(own?.id == newer.id)
        #expect(kept?.credentials.map(\.username) == ["own"])
    }
}
