import ConduitCore
import ConduitStore
import Foundation
import Testing

/// Bodies are written into space reserved in the map (`MDB_RESERVE`), piece
/// by piece, never gathered first; a body that cannot be read fails its own
/// entry only.
@Suite struct SpoolReservedBodyTests {
    let directory = TemporaryDirectory()

    /// A body made of pieces, like the ingress's memory start + spill file.
    struct PiecewiseBody: SpoolBody {
        let pieces: [[UInt8]]
        let failing: Bool
        var count: Int { pieces.reduce(0) { $0 + $1.count } }

        func write(into destination: UnsafeMutableRawBufferPointer) throws {
            if failing { throw CocoaError(.fileReadUnknown) }
            var offset = 0
            for piece in pieces {
                UnsafeMutableRawBufferPointer(rebasing: destination[offset..<offset + piece.count]).copyBytes(from: piece)
                offset += piece.count
            }
        }
    }

    @Test func aBodyWrittenInPiecesIsStoredWhole() async throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/env", mapSizeBytes: 64 << 20, schema: spoolSchema)
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        // 3 MiB: overflow pages, written through the reserved pointer.
        let pieces = (0..<48).map { n in [UInt8]((0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }) } + [Array("end".utf8)]
        var entry = makeEntry()
        entry.body = PiecewiseBody(pieces: pieces, failing: false)
        try await writer.commit(entry)
        #expect(try store.spooledBody(id: entry.message.id) == pieces.flatMap { $0 })
        #expect(try store.read { try $0.get(SpooledMessage.self, id: entry.message.id) }?.size == 48 * 65_536 + 3)
    }

    @Test func aBodyThatCannotBeReadFailsOnlyItsEntry() async throws {
        defer { directory.cleanup() }
        let store = try Store(path: directory.path + "/env", mapSizeBytes: 64 << 20, schema: spoolSchema)
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        var broken = makeEntry()
        broken.body = PiecewiseBody(pieces: [Array("x".utf8)], failing: true)
        let good = makeEntry()
        let brokenEntry = broken
        let first = Task { try await writer.commit(brokenEntry) }
        let second = Task { try await writer.commit(good) }
        await #expect(throws: (any Error).self) { try await first.value }
        try await second.value
        #expect(try store.spooledBody(id: broken.message.id) == nil)
        #expect(try store.read { try $0.get(SpooledMessage.self, id: broken.message.id) } == nil)
        #expect(try store.spooledBody(id: good.message.id) == good.body as? [UInt8])
    }
}
