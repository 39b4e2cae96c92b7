import ConduitStore
import Foundation
import Testing

/// The headroom rule (`[storage] reserve_mb`, Postfix's `queue_minfree`) and
/// the one storage-full mapping.
@Suite struct StorageHeadroomTests {
    let directory = TemporaryDirectory()

    @Test func theRuleAdmitsOnlyWhileDiskAndMapBothKeepTheReserve() {
        let rule = HeadroomRule(reserveBytes: 4 << 20)
        #expect(rule.admitsNewMail(StorageRoom(freeDiskBytes: 100 << 20, freeMapBytes: 100 << 20)))
        #expect(rule.admitsNewMail(StorageRoom(freeDiskBytes: 4 << 20, freeMapBytes: 4 << 20)))
        #expect(!rule.admitsNewMail(StorageRoom(freeDiskBytes: (4 << 20) - 1, freeMapBytes: 100 << 20)))
        #expect(!rule.admitsNewMail(StorageRoom(freeDiskBytes: 100 << 20, freeMapBytes: (4 << 20) - 1)))
        // A zero reserve admits even a full store: the write then reports it.
        #expect(HeadroomRule(reserveBytes: 0).admitsNewMail(StorageRoom(freeDiskBytes: 0, freeMapBytes: 0)))
    }

    @Test func theDefaultReserveIs64MiBOrFivePercentAtMostAnEighthOfTheMap() {
        #expect(HeadroomRule.defaultReserveBytes(mapSizeBytes: 4096 << 20) == (4096 << 20) / 20)
        #expect(HeadroomRule.defaultReserveBytes(mapSizeBytes: 1024 << 20) == 64 << 20)
        #expect(HeadroomRule.defaultReserveBytes(mapSizeBytes: 64 << 20) == 8 << 20)
        #expect(HeadroomRule.defaultReserveBytes(mapSizeBytes: 8 << 20) == 1 << 20)
    }

    @Test func freeMapRoomShrinksWithWritesAndComesBackWithDeletes() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/room", mapSizeBytes: 8 << 20, schema: testSchema)
        let empty = try #require(store.freeMapBytes())
        #expect(empty > 7 << 20 && empty <= 8 << 20)
        let chunk = String(repeating: "x", count: 64 * 1024)
        var ids: [String] = []
        try store.write { txn in
            for i in 0..<48 {
                let widget = Widget(name: "w\(i)", owner: "o", payload: chunk)
                try txn.insert(widget)
                ids.append(widget.id)
            }
        }
        let filled = try #require(store.freeMapBytes())
        #expect(empty - filled >= 48 * 64 * 1024)
        // The high-water mark stays where it was; the free list gives the room back.
        let usedBefore = try #require(store.usage()).usedBytes
        try store.write { txn in for id in ids { try txn.delete(Widget.self, id: id) } }
        try store.write { try $0.insert(Widget(name: "after", owner: "o")) } // lets LMDB reuse the freed pages
        #expect(try #require(store.usage()).usedBytes >= usedBefore)
        let drained = try #require(store.freeMapBytes())
        #expect(drained - filled >= 40 * 64 * 1024)
        #expect(try #require(store.freeDiskBytes()) > 0)
    }

    @Test func theHeadroomRefusesNewMailOnceTheMapIsBelowTheReserve() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/headroom", mapSizeBytes: 8 << 20, schema: testSchema)
        // No cache, so each call sees the store as it is now.
        let headroom = StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: 4 << 20), refreshInterval: .zero)
        #expect(headroom.admitsNewMail())
        let chunk = String(repeating: "x", count: 64 * 1024)
        var ids: [String] = []
        while headroom.admitsNewMail() {
            let widget = Widget(name: "w\(ids.count)", owner: "o", payload: chunk)
            try store.write { try $0.insert(widget) }
            ids.append(widget.id)
        }
        // Refused while the store itself still takes writes: the reserve is room.
        try store.write { try $0.insert(Widget(name: "outcome", owner: "o", payload: chunk)) }
        try store.write { txn in for id in ids { try txn.delete(Widget.self, id: id) } }
        try store.write { try $0.insert(Widget(name: "small", owner: "o")) }
        #expect(headroom.admitsNewMail())
    }

    /// What is admitted with a size must leave the reserve free, and is taken
    /// off the cached figures: within one refresh interval, admissions
    /// together cannot carry the store past the reserve (before, the last
    /// message admitted — or every one admitted within the second — went
    /// into it).
    @Test func admissionWithASizeLeavesTheReserveAndIsDebited() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/debit", mapSizeBytes: 8 << 20, schema: testSchema)
        let free = try #require(store.freeMapBytes())
        let reserve = 4 << 20
        // A long interval: only the debits move the figures.
        let headroom = StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: reserve), refreshInterval: .seconds(3600))
        let message = 1 << 20
        #expect(!headroom.admit(adding: free - reserve + 1), "a message that would end inside the reserve")
        #expect(headroom.admitsNewMail())
        var admitted = 0
        while headroom.admit(adding: message) { admitted += 1 }
        #expect(admitted == (free - reserve) / message)
        #expect(headroom.room().map { $0.freeMapBytes >= reserve } == true)
        // Nothing was written: a fresh measure gives the room back.
        let fresh = StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: reserve), refreshInterval: .seconds(3600))
        #expect(fresh.admit(adding: message))
        #expect(StorageHeadroom.mapBytes(forValueOf: 1) == 5 * 4096 && StorageHeadroom.mapBytes(forValueOf: 8192) == 6 * 4096)
        // No reserve: everything is admitted and nothing counted.
        #expect(StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: 0)).admit(adding: 1 << 40))
    }

    @Test func mapFullAndDiskFullAreStorageFullAndNothingElseIs() {
        #expect(StoreError.isStorageFull(StoreError.mapFull))
        #expect(StoreError.isStorageFull(StoreError.diskFull))
        #expect(!StoreError.isStorageFull(StoreError.closed))
        #expect(!StoreError.isStorageFull(StoreError.io(path: "/x", message: "Input/output error")))
        #expect(!StoreError.isStorageFull(CocoaError(.fileWriteOutOfSpace)))
    }
}
