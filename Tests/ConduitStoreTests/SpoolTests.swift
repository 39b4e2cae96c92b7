import ConduitCore
import ConduitStore
import Foundation
import Testing

@Suite struct SpoolTests {
    let directory = TemporaryDirectory()

    func openStore(mapSizeBytes: Int = 64 << 20, subpath: String = "env") throws -> Store {
        try Store(path: directory.path + "/" + subpath, mapSizeBytes: mapSizeBytes, schema: spoolSchema)
    }

    @Test func roundTripsMessageBodyDeliveriesAndLogs() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        var entry = makeEntry()
        entry.message.size = 0  // the writer stores the body's real size
        try await writer.commit(entry)

        let id = entry.message.id
        var expected = entry.message
        expected.size = entry.body.count
        #expect(try store.read { try $0.get(SpooledMessage.self, id: id) } == expected)
        #expect(try store.spooledBody(id: id) == Array("Subject: hi\r\n\r\nhello\r\n".utf8))
        #expect(try store.read { try $0.deliveries(ofMessage: id) } == entry.deliveries)
        #expect(try store.read { try $0.list(Delivery.self, index: .byWebhook, key: "wh2") } == [entry.deliveries[1]])
        #expect(try store.read { try $0.list(DeliveryLog.self, index: .byMessage, key: id) } == entry.logs)
        #expect(try store.read { try $0.list(DeliveryLog.self, index: .byWebhook, key: "wh3") } == entry.logs)
        #expect(try store.spooledMessages() == [expected])
        #expect(try store.spooledBody(id: Identifier.generate().rawValue) == nil)
        #expect(writer.statistics == SpoolWriter.Statistics(batchesCommitted: 1, entriesCommitted: 1, pending: 0))
    }

    @Test func dueIndexHoldsOnlyPendingDeliveriesInTimeOrder() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let entry = makeEntry()
        let now = entry.deliveries[1].nextAttemptAt
        try store.write { try $0.insert(entry) }
        var later = entry.deliveries[0]
        later.nextAttemptAt = now.addingTimeInterval(60)
        try store.write { try $0.update(later) }
        #expect(try store.read { try $0.dueDeliveries(at: now, limit: 10) }.map(\.id) == [entry.deliveries[1].id])
        #expect(try store.read { try $0.dueDeliveries(at: now.addingTimeInterval(60), limit: 10) }.map(\.id)
            == [entry.deliveries[1].id, later.id])

        var delivered = entry.deliveries[1]
        delivered.state = .delivered
        try store.write { try $0.update(delivered) }
        #expect(try store.read { try $0.dueDeliveries(at: now.addingTimeInterval(3600), limit: 10) }.map(\.id) == [later.id])
    }

    @Test func removingAMessageKeepsItsLogs() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let entry = makeEntry()
        try store.write { try $0.insert(entry) }
        let removed = try store.write { try $0.removeSpooledMessage(id: entry.message.id) }
        #expect(removed?.id == entry.message.id)
        #expect(try store.spooledBody(id: entry.message.id) == nil)
        #expect(try store.read { try $0.count(Delivery.self) } == 0)
        #expect(try store.read { try $0.count(DeliveryLog.self) } == 1)
        #expect(try store.write { try $0.removeSpooledMessage(id: entry.message.id) } == nil)
    }

    @Test func largeBodyRoundTrips() async throws {
        defer { directory.cleanup() }
        let store = try openStore(mapSizeBytes: 128 << 20)
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        let body = SecureRandom.bytes(20 << 20)
        let entry = makeEntry(body: body)
        try await writer.commit(entry)
        #expect(try store.spooledBody(id: entry.message.id) == body)
        #expect(try store.read { try $0.get(SpooledMessage.self, id: entry.message.id) }?.size == 20 << 20)
        // Read in place, without a copy.
        let firstAndLast = try store.read { txn in
            try txn.withRaw(database: Spool.bodiesDatabase, key: entry.message.id) { ($0.first, $0.last, $0.count) }
        }
        #expect(firstAndLast?.0 == body.first && firstAndLast?.1 == body.last && firstAndLast?.2 == body.count)
    }

    @Test func rawDatabasesAreSeparateFromRecords() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        #expect(throws: StoreError.self) { try store.write { try $0.putRaw(database: "spool", key: "x", bytes: [1, 2]) } }
        #expect(throws: StoreError.self) { try store.read { try $0.raw(database: "deliveries.due", key: "x") } }
        try store.write { try $0.putRaw(database: Spool.bodiesDatabase, key: "empty", bytes: [UInt8]()) }
        #expect(try store.read { try $0.raw(database: Spool.bodiesDatabase, key: "empty") } == [])
        #expect(try store.write { try $0.deleteRaw(database: Spool.bodiesDatabase, key: "empty") })
        #expect(try store.write { try $0.deleteRaw(database: Spool.bodiesDatabase, key: "empty") } == false)
    }

    @Test func spoolSurvivesCloseAndReopenAndOpensReadOnly() async throws {
        defer { directory.cleanup() }
        let entries = [makeEntry(sender: ""), makeEntry(sender: "bob@example.net")]
        do {
            let store = try openStore()
            let writer = SpoolWriter(store: store)
            for entry in entries { try await writer.commit(entry) }
            writer.shutdown()
            store.close()
        }
        let reopened = try openStore()
        #expect(try reopened.spooledMessages().map(\.id) == entries.map(\.message.id))
        #expect(try reopened.spooledMessages().map(\.mailFrom) == ["", "bob@example.net"])
        #expect(try reopened.spooledBody(id: entries[1].message.id) == Array("Subject: hi\r\n\r\nhello\r\n".utf8))

        // A second, read-only handle beside the open one (`conduit spool list`).
        let readOnly = try Store(readOnlyAt: directory.path + "/env", schema: spoolSchema)
        #expect(try readOnly.spooledMessages(limit: 1).map(\.id) == [entries[0].message.id])
        #expect(try readOnly.read { try $0.deliveries(ofMessage: entries[0].message.id) } == entries[0].deliveries)
        #expect(throws: StoreError.self) { try readOnly.write { try $0.insert(makeEntry()) } }
        #expect(throws: StoreError.self) { _ = try Store(readOnlyAt: directory.path + "/missing", schema: spoolSchema) }
    }
}
