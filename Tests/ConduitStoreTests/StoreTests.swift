import ConduitCore
@testable import ConduitStore
import Foundation
import Testing

@Suite struct StoreTests {
    let directory = TemporaryDirectory()

    func openStore(mapSizeBytes: Int = 64 << 20, schema: Schema = testSchema, subpath: String = "env") throws -> Store {
        try Store(path: directory.path + "/" + subpath, mapSizeBytes: mapSizeBytes, schema: schema)
    }

    @Test func roundTripsRecords() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let widget = Widget(name: "sprocket", owner: "alice", tags: ["red", "big"], payload: "ünïcode ✓")
        try store.write { try $0.insert(widget) }
        #expect(try store.read { try $0.get(Widget.self, id: widget.id) } == widget)
        #expect(try store.read { try $0.get(Widget.self, id: "missing") } == nil)
        #expect(try store.read { try $0.count(Widget.self) } == 1)
        #expect(store.schemaVersion == 1)
    }

    @Test func uniqueIndexLooksUpAndRejectsDuplicates() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let first = Widget(name: "sprocket", owner: "alice")
        try store.write { try $0.insert(first) }
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "sprocket") } == first)
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "sprock") } == nil)

        let clash = Widget(name: "sprocket", owner: "bob")
        #expect(throws: StoreError.uniqueConstraint(index: "widgets.by_name", key: "sprocket")) {
            try store.write { try $0.insert(clash) }
        }
        #expect(try store.read { try $0.get(Widget.self, id: clash.id) } == nil)
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "bob") }.isEmpty)
    }

    @Test func caughtConstraintErrorLeavesTransactionIntact() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let a = Widget(name: "a", owner: "alice")
        var b = Widget(name: "b", owner: "alice")
        try store.write { txn in
            try txn.insert(a)
            try txn.insert(b)
            b.name = "a"
            #expect(throws: StoreError.self) { try txn.update(b) }
        }
        // The failed update changed nothing: b keeps its name and its index entry.
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "b") }?.id == b.id)
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "a") }?.id == a.id)
    }

    @Test func multiIndexListsAllMatchesAndFollowsUpdates() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        var w1 = Widget(name: "one", owner: "alice", tags: ["red"])
        let w2 = Widget(name: "two", owner: "alice", tags: ["red", "blue"])
        let w3 = Widget(name: "three", owner: "alicia", tags: ["blue"])
        try store.write { txn in
            for w in [w1, w2, w3] { try txn.insert(w) }
        }
        // "alice" must not match "alicia": multi-index keys are NUL-terminated.
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "alice") }.map(\.id) == [w1.id, w2.id])
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "alice", newestFirst: true) }.map(\.id) == [w2.id, w1.id])
        #expect(try store.read { try $0.list(Widget.self, index: .byTag, key: "blue") }.map(\.id) == [w2.id, w3.id])

        w1.owner = "bob"
        w1.name = "uno"
        w1.tags = ["blue"]
        try store.write { try $0.update(w1) }
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "alice") }.map(\.id) == [w2.id])
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "bob") }.map(\.id) == [w1.id])
        #expect(try store.read { try $0.list(Widget.self, index: .byTag, key: "red") }.map(\.id) == [w2.id])
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "one") } == nil)
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "uno") } == w1)

        try store.write { _ = try $0.delete(Widget.self, id: w2.id) }
        #expect(try store.read { try $0.list(Widget.self, index: .byTag, key: "red") }.isEmpty)
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "two") } == nil)
        #expect(try store.read { try $0.count(Widget.self) } == 2)
    }

    @Test func insertOfExistingIdAndUpdateOfMissingRecordFail() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let w = Widget(name: "x", owner: "o")
        try store.write { try $0.insert(w) }
        #expect(throws: StoreError.duplicateID(table: "widgets", id: w.id)) { try store.write { try $0.insert(w) } }
        let ghost = Widget(name: "ghost", owner: "o")
        #expect(throws: StoreError.notFound(table: "widgets", id: ghost.id)) { try store.write { try $0.update(ghost) } }
        try store.write { try $0.save(ghost) }
        #expect(try store.read { try $0.get(Widget.self, id: ghost.id) } == ghost)
    }

    @Test func throwingWriteRollsBack() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        struct Abort: Error {}
        let w = Widget(name: "doomed", owner: "o")
        #expect(throws: Abort.self) {
            try store.write { txn in
                try txn.insert(w)
                #expect(try txn.reader.get(Widget.self, id: w.id) == w)
                throw Abort()
            }
        }
        #expect(try store.read { try $0.get(Widget.self, id: w.id) } == nil)
        #expect(try store.read { try $0.lookup(Widget.self, index: .byName, key: "doomed") } == nil)
    }

    @Test func scanPagesNewestFirst() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let gadgets = (0..<7).map { Gadget(id: Identifier.generate().rawValue, label: "g\($0)") }
        try store.write { txn in for g in gadgets { try txn.insert(g) } }
        let page1 = try store.read { try $0.scan(Gadget.self, limit: 3) }
        #expect(page1.map(\.label) == ["g6", "g5", "g4"])
        let page2 = try store.read { try $0.scan(Gadget.self, after: page1.last!.id, limit: 3) }
        #expect(page2.map(\.label) == ["g3", "g2", "g1"])
        let page3 = try store.read { try $0.scan(Gadget.self, after: page2.last!.id, limit: 3) }
        #expect(page3.map(\.label) == ["g0"])
        let oldest = try store.read { try $0.scan(Gadget.self, newestFirst: false, after: gadgets[4].id) }
        #expect(oldest.map(\.label) == ["g5", "g6"])
        #expect(try store.read { try $0.scan(Gadget.self, limit: 0) }.isEmpty)
    }

    @Test func listSkipsItsOffsetWithoutReadingThoseRecords() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let widgets = (0..<10).map { Widget(name: "w\($0)", owner: "ann", payload: String(repeating: "x", count: 100)) }
        try store.write { txn in for w in widgets { try txn.insert(w) } }
        // Newest first, the first six are skipped: make them undecodable.
        // Reading any of them would throw StoreError.corrupted.
        try store.write { txn in for w in widgets.suffix(6) { try txn.raw.put(Widget.tableName, key: Array(w.id.utf8), value: [2, 1]) } }
        let page = try store.read { try $0.list(Widget.self, index: .byOwner, key: "ann", newestFirst: true, offset: 6, limit: 3) }
        #expect(page.map(\.name) == ["w3", "w2", "w1"])
        let oldestFirst = try store.read { try $0.list(Widget.self, index: .byOwner, key: "ann", offset: 2, limit: 2) }
        #expect(oldestFirst.map(\.name) == ["w2", "w3"])
        // Past the end: empty, and the scan stops where the key's entries end.
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "ann", offset: 10) }.isEmpty)
        #expect(try store.read { try $0.list(Widget.self, index: .byOwner, key: "ann", offset: Int.max, limit: 100) }.isEmpty)
        // A unique index's offset counts exact matches only.
        #expect(try store.read { try $0.list(Widget.self, index: .byName, key: "w1", offset: 1) }.isEmpty)
        #expect(try store.read { try $0.list(Widget.self, index: .byName, key: "w1", offset: 0) }.map(\.name) == ["w1"])
    }

    @Test func dataSurvivesCloseAndReopen() throws {
        defer { directory.cleanup() }
        let w = Widget(name: "persistent", owner: "o")
        do {
            let store = try openStore()
            try store.write { try $0.insert(w) }
            store.close()
            #expect(!store.isOpen)
            #expect(throws: StoreError.closed) { try store.read { try $0.count(Widget.self) } }
            #expect(throws: StoreError.closed) { try store.write { try $0.insert(Widget(name: "late", owner: "o")) } }
        }
        let reopened = try openStore()
        #expect(try reopened.read { try $0.lookup(Widget.self, index: .byName, key: "persistent") } == w)
    }

    @Test func keysAreValidated() throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let longName = Widget(name: String(repeating: "n", count: 600), owner: "o")
        #expect(throws: StoreError.self) { try store.write { try $0.insert(longName) } }
        let nul = Widget(name: "a\u{0}b", owner: "o")
        #expect(throws: StoreError.self) { try store.write { try $0.insert(nul) } }
        #expect(try store.read { try $0.count(Widget.self) } == 0)
        #expect(try store.read { try $0.get(Widget.self, id: "") } == nil)
    }

    @Test func undeclaredRecordTypeIsAnError() throws {
        defer { directory.cleanup() }
        struct Stray: IDOnlyRecord { static let tableName = "stray"; var id: String }
        let store = try openStore()
        #expect(throws: StoreError.unknownDatabase("stray")) { try store.write { try $0.insert(Stray(id: "x")) } }
    }
}
