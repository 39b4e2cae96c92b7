import ConduitCore
import ConduitStore
import Foundation
import Synchronization
import Testing

@Suite struct StoreCapacityAndBackupTests {
    let directory = TemporaryDirectory()

    @Test func mapFullIsATypedErrorAndTheStoreKeepsWorking() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/small", mapSizeBytes: 1 << 20, schema: testSchema)
        let chunk = String(repeating: "x", count: 64 * 1024)
        var committed: [String] = []
        var failure: StoreError?
        for i in 0..<64 {
            let w = Widget(name: "w\(i)", owner: "o", payload: chunk)
            do {
                try store.write { try $0.insert(w) }
                committed.append(w.id)
            } catch let error as StoreError {
                failure = error
                break
            }
        }
        #expect(failure == .mapFull)
        #expect(failure?.isCapacity == true)
        #expect(!committed.isEmpty)
        // Everything committed before the failure is intact; the failed write left nothing.
        #expect(try store.read { try $0.count(Widget.self) } == committed.count)
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "w\(committed.count)") } == nil)
        // Freeing space makes writes work again.
        try store.write { txn in
            for id in committed.prefix(4) { try txn.delete(Widget.self, id: id) }
        }
        try store.write { try $0.insert(Widget(name: "small", owner: "o")) }
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "small") } != nil)
    }

    @Test func newerSchemaIsRefusedAndOlderIsMigrated() throws {
        defer { directory.cleanup() }
        let path = directory.path + "/versions"
        let v1 = try Store(path: path, mapSizeBytes: 16 << 20, schema: testSchema)
        v1.close()

        let v2Schema = Schema(version: 2, records: [Widget.self, Gadget.self], migrations: [
            2: { txn in try txn.insert(Gadget(id: Identifier.generate().rawValue, label: "added by migration 2")) },
        ])
        let v2 = try Store(path: path, mapSizeBytes: 16 << 20, schema: v2Schema)
        #expect(v2.schemaVersion == 2)
        #expect(try v2.read { try $0.scan(Gadget.self) }.map(\.label) == ["added by migration 2"])
        v2.close()

        // Reopening at v2 runs no migration again.
        let again = try Store(path: path, mapSizeBytes: 16 << 20, schema: v2Schema)
        #expect(try again.read { try $0.count(Gadget.self) } == 1)
        again.close()

        #expect(throws: StoreError.schemaTooNew(found: 2, supported: 1)) {
            _ = try Store(path: path, mapSizeBytes: 16 << 20, schema: testSchema)
        }
    }

    @Test func backupWhileWritingIsConsistent() async throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/live", mapSizeBytes: 64 << 20, schema: testSchema)
        try store.write { txn in
            for i in 0..<200 { try txn.insert(Widget(name: "seed\(i)", owner: "seed", payload: String(repeating: "s", count: 512))) }
        }
        let written = Atomic<Int>(0)
        let backupDone = Atomic<Bool>(false)
        let writer = Task.detached { () -> Int in
            // Each transaction writes a widget and a gadget together; a
            // consistent snapshot always holds as many of one as the other.
            // The writer keeps going until the backup has finished.
            var i = 0
            while !backupDone.load(ordering: .acquiring) || i < 20 {
                try store.write { txn in
                    try txn.insert(Widget(name: "live\(i)", owner: "live", tags: ["t\(i % 3)"]))
                    try txn.insert(Gadget(id: Identifier.generate().rawValue, label: "live\(i)"))
                }
                i += 1
                written.store(i, ordering: .releasing)
            }
            return i
        }
        while written.load(ordering: .acquiring) < 10 { try await Task.sleep(for: .milliseconds(1)) }
        let destination = directory.path + "/copy"
        try store.backup(to: destination)
        backupDone.store(true, ordering: .releasing)
        let total = try await writer.value

        let copy = try Store(path: destination, mapSizeBytes: 64 << 20, schema: testSchema)
        let (widgets, gadgets, liveWidgets) = try copy.read { txn in
            (try txn.count(Widget.self), try txn.count(Gadget.self), try txn.list(Widget.self, index: .byOwner, key: "live"))
        }
        #expect(gadgets >= 10)
        #expect(widgets == 200 + gadgets)
        #expect(liveWidgets.count == gadgets)
        for widget in liveWidgets {
            #expect(try copy.read { try $0.lookup(Widget.self, index: .byName, key: widget.name) } == widget)
        }
        #expect(try store.read { try $0.count(Widget.self) } == 200 + total)
    }

    @Test func backupRefusesAnExistingDestinationAndAMissingStore() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/src", mapSizeBytes: 16 << 20, schema: testSchema)
        try FileManager.default.createDirectory(atPath: directory.path + "/exists", withIntermediateDirectories: false)
        #expect(throws: StoreError.self) { try store.backup(to: directory.path + "/exists") }
        #expect(throws: StoreError.self) { try Store.backup(storeAt: directory.path + "/nothing-here", to: directory.path + "/out") }
        #expect(!FileManager.default.fileExists(atPath: directory.path + "/out"))

        // The static form (used by `conduit backup`) copies a store another handle has open.
        try store.write { try $0.insert(Widget(name: "kept", owner: "o")) }
        try Store.backup(storeAt: directory.path + "/src", to: directory.path + "/static-copy")
        let copy = try Store(path: directory.path + "/static-copy", mapSizeBytes: 16 << 20, schema: testSchema)
        #expect(try copy.read { try $0.lookup(Widget.self, index: .byName, key: "kept") } != nil)
    }
}
