import ConduitCore
import ConduitStore
import Foundation
import Testing

/// A commit that frees the last room of a full map (a delivered message's
/// body) must not leave the store full for good: LMDB lets the next write use
/// those pages only after another commit, which itself needs a page
/// (docs/RELIABILITY.md, "Disk full and LMDB map full").
@Suite struct MapFullSettleTests {
    let directory = TemporaryDirectory()

    @Test func pagesTheLastCommitFreedBecomeUsableOnAFullMap() throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/wedge", mapSizeBytes: 1 << 20, schema: spoolSchema)
        let database = Spool.bodiesDatabase
        try store.write { try $0.putRaw(database: database, key: "big", bytes: [UInt8](repeating: 1, count: 200 << 10)) }
        // Everything else, down to values of a few bytes, until nothing fits.
        var fillers = 0
        for size in [64 << 10, 4 << 10, 256, 8] {
            while true {
                do {
                    try store.write { try $0.putRaw(database: database, key: "filler-\(fillers)", bytes: [UInt8](repeating: 7, count: size)) }
                    fillers += 1
                } catch let error as StoreError where error.isCapacity {
                    break
                }
            }
        }
        // The delete that frees 200 KiB is the last commit; its pages wait for the next one.
        try store.write { _ = try $0.deleteRaw(database: database, key: "big") }
        #expect((store.freeMapBytes() ?? 0) >= 200 << 10)
        // Before the fix every later write failed with mapFull, for good. Now
        // the first failure commits past the freed pages and the next write fits.
        var written = 0
        for attempt in 0..<3 {
            do {
                try store.write { try $0.putRaw(database: database, key: "after-\(attempt)", bytes: [UInt8](repeating: 2, count: 1024)) }
                written += 1
            } catch StoreError.mapFull {}
        }
        #expect(written >= 2)
        #expect(try store.read { try $0.withRaw(database: database, key: "filler-0") { $0.count } } != nil)
    }
}
