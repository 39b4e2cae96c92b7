import ConduitCore
import ConduitStore
import Foundation
import Logging
import Testing
@testable import ConduitWebhooks

/// SMTP AUTH user names are unique on the whole server (issue 12, item 6):
/// over a real store, a name another policy (of any account) holds is
/// refused, and the schema-2 migration resolves duplicates of older stores.
@Suite struct PolicyUsernameTests {
    final class Fixture {
        let directory: String
        let store: Store
        let policies: PolicyService

        init() throws {
            directory = Self.temporaryDirectory()
            store = try Store(path: directory, mapSizeBytes: 16 << 20,
                              schema: Schema(version: 2, records: [Domain.self, Webhook.self, SMTPSecurityPolicy.self]))
            // Cheap scrypt: these tests are about names, not hashing cost.
            policies = PolicyService(store: store, logger: Logger(label: "test"), hasher: PasswordHasher(parameters: Scrypt(n: 1 << 10, r: 8, p: 1)))
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        static func temporaryDirectory() -> String {
            var template = Array("/tmp/conduit-policies-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    @Test func aNameAnotherAccountUsesIsTaken() async throws {
        let f = try Fixture()
        let alices = try await f.policies.create(accountID: "alice", input: PolicyInput(name: "a", smtpCredentials: "relay:password-one"))
        await #expect(throws: ResourceError.usernameTaken("relay")) {
            try await f.policies.create(accountID: "mallory", input: PolicyInput(name: "m", smtpCredentials: "other:password-two,relay:password-two"))
        }
        // Nothing of the refused policy was stored.
        #expect(try f.policies.list(accountID: "mallory").isEmpty)
        // Nor can an existing policy be changed to take it.
        let mallorys = try await f.policies.create(accountID: "mallory", input: PolicyInput(name: "m", smtpCredentials: "other:password-two"))
        await #expect(throws: ResourceError.usernameTaken("relay")) {
            try await f.policies.update(accountID: "mallory", id: mallorys.id, input: PolicyInput(smtpCredentials: "relay:password-two"))
        }
        // The same account's second policy may not share it either.
        await #expect(throws: ResourceError.usernameTaken("relay")) {
            try await f.policies.create(accountID: "alice", input: PolicyInput(name: "b", smtpCredentials: "relay:password-three"))
        }
        // The holder itself may keep (and re-set) its own name.
        let updated = try await f.policies.update(accountID: "alice", id: alices.id, input: PolicyInput(smtpCredentials: "relay:password-new"))
        #expect(updated.credentials.map(\.username) == ["relay"])
        let holder = try f.store.read { try $0.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "relay") }
        #expect(holder?.id == alices.id)
    }

    @Test func aNameIsFreedWhenItsPolicyLetsGo() async throws {
        let f = try Fixture()
        let first = try await f.policies.create(accountID: "alice", input: PolicyInput(name: "a", smtpCredentials: "relay:password-one"))
        _ = try await f.policies.update(accountID: "alice", id: first.id, input: PolicyInput(smtpCredentials: "renamed:password-one"))
        let second = try await f.policies.create(accountID: "bob", input: PolicyInput(name: "b", smtpCredentials: "relay:password-two"))
        try f.policies.delete(accountID: "bob", id: second.id)
        let third = try await f.policies.create(accountID: "carol", input: PolicyInput(name: "c", smtpCredentials: "relay:password-three"))
        #expect(try f.store.read { try $0.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "relay") }?.id == third.id)
        try f.store.write { try PolicyService.removePolicies(of: "carol", in: $0) }
        #expect(try f.store.read { try $0.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "relay") } == nil)
    }

    @Test func aNameTwiceInOneRequestIsInvalid() async throws {
        let f = try Fixture()
        await #expect(throws: ResourceError.self) {
            try await f.policies.create(accountID: "alice", input: PolicyInput(name: "a", smtpCredentials: "relay:password-one\nrelay:password-two"))
        }
        do {
            _ = try await f.policies.create(accountID: "alice", input: PolicyInput(name: "a", smtpCredentials: "relay:password-one,relay:password-two"))
            Issue.record("a repeated name was accepted")
        } catch let ResourceError.invalid(code, _) {
            #expect(code == "invalid_smtp_credentials")
        }
    }

    /// A version-1 policy table: same table and values, no `by_username` index,
    /// so it can hold the duplicates stores from before schema 2 may have.
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

    @Test func theMigrationLeavesEachNameWithItsOldestPolicy() throws {
        let directory = Fixture.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func policy(_ account: String, _ users: [String]) -> SMTPSecurityPolicy {
            var p = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: account, name: account, createdAt: Date())
            p.credentials = users.map { SMTPCredential(username: $0, passwordHash: "hash-of-\($0)-\(account)") }
            return p
        }
        let oldest = policy("alice", ["relay", "alice-only"])
        let newer = policy("mallory", ["relay", "mallory-only"])
        let newest = policy("eve", ["relay"])
        let old = try Store(path: directory, mapSizeBytes: 16 << 20, schema: Schema(version: 1, records: [VersionOnePolicy.self]))
        try old.write { txn in
            for p in [newest, oldest, newer] { try txn.insert(VersionOnePolicy(p)) }
        }
        old.close()

        let store = try Store(path: directory, mapSizeBytes: 16 << 20, schema: Schema(
            version: 2, records: [SMTPSecurityPolicy.self],
            migrations: [2: { try PolicyUsernameMigration.run(in: $0, logger: Logger(label: "test")) }]
        ))
        defer { store.close() }
        #expect(store.schemaVersion == 2)
        let (relay, aliceOnly, malloryOnly, all) = try store.read { txn in
            (try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "relay"),
             try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "alice-only"),
             try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: "mallory-only"),
             try txn.scan(SMTPSecurityPolicy.self, newestFirst: false))
        }
        #expect(relay?.id == oldest.id)
        #expect(aliceOnly?.id == oldest.id)
        #expect(malloryOnly?.id == newer.id)
        #expect(all.map(\.id) == [oldest.id, newer.id, newest.id])
        #expect(all.map { $0.credentials.map(\.username) } == [["relay", "alice-only"], ["mallory-only"], []])
        // The index now guards the name.
        var taken = newer
        taken.credentials.append(SMTPCredential(username: "relay", passwordHash: "x"))
        #expect(throws: StoreError.self) { try store.write { try $0.update(taken) } }
    }
}
