import ConduitCore
import ConduitStore
import Foundation
import Testing

/// `Store.watch`: the counter a cache of some record types checks, moved by
/// every committed write that changes one of them and by nothing else.
@Suite struct StoreWatchTests {
    let directory = TemporaryDirectory()

    @Test func committedChangesToAWatchedTypeMoveItOthersDoNot() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/env", mapSizeBytes: 64 << 20, schema: testSchema)
        let widgets = store.watch([Widget.self])
        let both = store.watch([Widget.self, Gadget.self])
        var widget = Widget(name: "sprocket", owner: "alice")

        try store.write { try $0.insert(widget) }
        #expect(widgets.generation == 1 && both.generation == 1)
        widget.owner = "bob"
        try store.write { try $0.update(widget) }
        #expect(widgets.generation == 2)
        try store.write { try $0.update(widget, replacing: widget) }
        #expect(widgets.generation == 3)
        try store.write { txn in _ = try txn.delete(Widget.self, id: widget.id) }
        #expect(widgets.generation == 4 && both.generation == 4)

        // Another type, a read, a write that changed nothing: no move.
        try store.write { try $0.insert(Gadget(id: "g1", label: "x")) }
        #expect(widgets.generation == 4 && both.generation == 5)
        _ = try store.read { try $0.get(Widget.self, id: widget.id) }
        try store.write { txn in _ = try txn.delete(Widget.self, id: "missing") }
        #expect(widgets.generation == 4)
    }

    @Test func aRolledBackWriteDoesNotMoveIt() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/env", mapSizeBytes: 64 << 20, schema: testSchema)
        let watch = store.watch([Widget.self])
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try store.write { txn in
                try txn.insert(Widget(name: "a", owner: "alice"))
                throw Refused()
            }
        }
        #expect(watch.generation == 0)
        #expect(try store.read { try $0.count(Widget.self) } == 0)
    }

    @Test func itMovesBeforeTheWriteReturnsAndOnceTheCommitIsVisible() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/env", mapSizeBytes: 64 << 20, schema: testSchema)
        let watch = store.watch([Widget.self])
        let widget = Widget(name: "a", owner: "alice")
        var seenInCommitted: (generation: UInt64, visible: Bool)?
        try store.write(committed: {
            // The caller's `committed` runs after the watches moved, with the commit visible.
            let visible = (try? store.read { try $0.get(Widget.self, id: widget.id) }) != nil
            seenInCommitted = (watch.generation, visible)
        }) { try $0.insert(widget) }
        #expect(seenInCommitted?.generation == 1)
        #expect(seenInCommitted?.visible == true)
    }
}
