import ConduitApp
import ConduitCore
import ConduitStore
import Foundation
import Testing

/// Opening a store written by an older schema runs the app schema's
/// migrations: version 3 computes each account's spool charge.
@Suite struct SchemaMigrationTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-migration-\(UUID().uuidString)").path

    @Test func version3ComputesTheSpoolChargesOfMailAlreadySpooled() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Date()
        let id = Identifier.generate().rawValue
        let message = SpooledMessage(
            id: id, receivedAt: now, mailFrom: "a@example.org", remoteIP: "192.0.2.1", helo: "mx.example.org", tls: false,
            authUser: nil, spf: nil, dkim: [], size: 0,
            recipients: [SpooledRecipient(rcptTo: "in@example.com", webhookID: "wh1", accountID: "acc1", tag: nil)]
        )
        let body = [UInt8](repeating: 65, count: 5000)
        // A version-1 store: the same tables, no charges.
        let v1 = Schema(version: 1, records: AppSchema.current.records, rawDatabases: AppSchema.current.rawDatabases)
        let old = try Store(path: directory, mapSizeBytes: 16 << 20, schema: v1)
        try old.write { txn in
            try txn.insert(SpoolEntry(message: message, body: body, deliveries: []))
            #expect(try txn.deleteRaw(database: SpoolUsage.database, key: "acc1"))
        }
        #expect(try old.read { try $0.spoolUsage(accountID: "acc1") } == 0)
        old.close()

        let store = try Store(path: directory, mapSizeBytes: 16 << 20, schema: AppSchema.current)
        defer { store.close() }
        #expect(store.schemaVersion == AppSchema.current.version)
        #expect(try store.read { try $0.spoolUsage(accountID: "acc1") } == SpoolUsage.charge(bodySize: body.count))
    }
}
