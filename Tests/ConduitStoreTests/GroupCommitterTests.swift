import ConduitCore
import ConduitStore
import Foundation
import Synchronization
import Testing

/// The generic group committer on its own: each caller gets its entry's
/// output, entries that queue behind a commit share the next transaction,
/// and an entry that fails alone does not fail the rest of its batch.
@Suite struct GroupCommitterTests {
    let directory = TemporaryDirectory()

    func openStore() throws -> Store {
        try Store(path: directory.path + "/env", mapSizeBytes: 16 << 20, schema: testSchema)
    }

    /// Inserts a widget named `name` and returns how many widgets the transaction then sees.
    static func committer(_ store: Store) -> GroupCommitter<String, Int> {
        GroupCommitter(store: store, name: "test-committer", maxBatchEntries: 100) { name, txn in
            try txn.insert(Widget(name: name, owner: "o"))
            return try txn.reader.count(Widget.self)
        }
    }

    @Test func everyCallerGetsItsOutputAndManyShareATransaction() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let committer = Self.committer(store)
        defer { committer.shutdown() }
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<200 { group.addTask { try await committer.commit("w\(i)") } }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(Set(counts).count == 200)  // each saw its own insert, in some order
        #expect(counts.max() == 200)
        let stats = committer.statistics
        #expect(stats.entriesCommitted == 200 && stats.pending == 0)
        #expect(stats.batchesCommitted <= 200)
    }

    @Test func aFailingEntryFailsAloneAndClosedRefuses() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let committer = Self.committer(store)
        _ = try await committer.commit("taken")
        // The unique name index refuses the duplicate; the others commit.
        let results = await withTaskGroup(of: (String, Bool).self) { group in
            for name in ["a", "taken", "b"] {
                group.addTask { (name, (try? await committer.commit(name)) != nil) }
            }
            return await group.reduce(into: [String: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(results == ["a": true, "taken": false, "b": true])
        committer.shutdown()
        #expect(!committer.isRunning)
        await #expect(throws: StoreError.closed) { try await committer.commit("late") }
    }

    @Test func committedRunsOnceTheBatchIsVisibleAndBeforeTheCallerResumes() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let seen = Mutex<[Int]>([])
        let committer = GroupCommitter<String, Int>(
            store: store, name: "test-committer", maxBatchEntries: 100,
            committed: { seen.withLock { $0.append((try? store.read { try $0.count(Widget.self) }) ?? -1) } }
        ) { name, txn in
            try txn.insert(Widget(name: name, owner: "o"))
            return try txn.reader.count(Widget.self)
        }
        defer { committer.shutdown() }
        for i in 1...3 {
            let count = try await committer.commit("w\(i)")
            // Another transaction saw the commit in the hook, before commit() returned.
            #expect(seen.withLock { $0 } .last == count)
        }
        #expect(seen.withLock { $0 } == [1, 2, 3])
    }
}
