import ConduitCore
import ConduitStore
import Foundation
import Synchronization
import Testing

@Suite struct SpoolWriterTests {
    let directory = TemporaryDirectory()

    func openStore(mapSizeBytes: Int = 64 << 20) throws -> Store {
        try Store(path: directory.path + "/env", mapSizeBytes: mapSizeBytes, schema: spoolSchema)
    }

    struct StillWaiting: Error {}

    /// Takes the store's write lock on a thread of its own and holds it until
    /// `writer` has `count` entries pending (or 10 s have passed), so they all
    /// queue up behind one transaction. Returns once the lock is held, with a
    /// task that ends when it has been released.
    func blockWrites(_ store: Store, until writer: SpoolWriter, has count: Int) async -> Task<Void, any Error> {
        await blockWrites(store) { writer.statistics.pending >= count }
    }

    /// Holds the store's write lock until `release` returns true (or 10 s have passed).
    func blockWrites(_ store: Store, until release: @escaping @Sendable () -> Bool) async -> Task<Void, any Error> {
        let (locked, lockedContinuation) = AsyncStream<Void>.makeStream()
        let released = Task.detached {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                Thread {
                    do {
                        try store.write { _ in
                            lockedContinuation.finish()
                            let deadline = ContinuousClock.now + .seconds(120)
                            while !release() {
                                guard ContinuousClock.now < deadline else { throw StillWaiting() }
                                usleep(1000)
                            }
                        }
                        done.resume()
                    } catch {
                        done.resume(throwing: error)
                    }
                }.start()
            }
        }
        for await _ in locked {}
        return released
    }

    @Test func concurrentCommitsShareTransactions() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        let count = 500
        let blocker = await blockWrites(store, until: writer, has: count)
        let entries = (0..<count).map { _ in makeEntry() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for entry in entries {
                group.addTask { try await writer.commit(entry) }
            }
            try await group.waitForAll()
        }
        try await blocker.value

        #expect(try store.read { try $0.count(SpooledMessage.self) } == count)
        #expect(try store.read { try $0.count(Delivery.self) } == 2 * count)
        #expect(try store.read { try $0.count(DeliveryLog.self) } == count)
        let stats = writer.statistics
        #expect(stats.entriesCommitted == count)
        #expect(stats.pending == 0)
        // The entries the thread took before the others queued, then the rest
        // together (one batch holds up to 1024).
        #expect(stats.batchesCommitted <= 2, "\(stats.batchesCommitted) transactions for \(count) entries")
    }

    @Test func unblockedConcurrentCommitsAllSucceed() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let writer = SpoolWriter(store: store, maxBatchEntries: 64)
        defer { writer.shutdown() }
        let count = 500
        let committed = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<count {
                group.addTask {
                    try await writer.commit(makeEntry())
                    return 1
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(committed == count)
        #expect(try store.read { try $0.count(SpooledMessage.self) } == count)
        let stats = writer.statistics
        #expect(stats.entriesCommitted == count)
        #expect(stats.batchesCommitted >= count / 64)
        #expect(stats.batchesCommitted <= count)
    }

    @Test func mapFullReachesTheCallersAndLaterCommitsSucceed() async throws {
        defer { directory.cleanup() }
        let store = try openStore(mapSizeBytes: 1 << 20)
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        let tooBig = makeEntry(body: [UInt8](repeating: 0x41, count: 2 << 20))
        await #expect(throws: StoreError.mapFull) { try await writer.commit(tooBig) }
        try await writer.commit(makeEntry())
        #expect(try store.read { try $0.count(SpooledMessage.self) } == 1)
        #expect(try store.spooledBody(id: tooBig.message.id) == nil)
    }

    @Test func oneBadEntryDoesNotFailItsBatch() async throws {
        defer { directory.cleanup() }
        let store = try openStore(mapSizeBytes: 1 << 20)
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        let good = (0..<6).map { _ in makeEntry() }
        let tooBig = makeEntry(body: [UInt8](repeating: 0x41, count: 2 << 20))
        var duplicate = makeEntry()
        duplicate.message.id = good[0].message.id
        let blocker = await blockWrites(store, until: writer, has: good.count + 2)
        let results = await withTaskGroup(of: (String, Result<Void, StoreError>).self) { group in
            let named = [("big", tooBig), ("dup", duplicate), ("dup", good[0])] + good.dropFirst().map { ("good", $0) }
            for (name, entry) in named {
                group.addTask {
                    do {
                        try await writer.commit(entry)
                        return (name, .success(()))
                    } catch {
                        return (name, .failure(error as? StoreError ?? .encoding("\(error)")))
                    }
                }
            }
            return await group.reduce(into: [(String, Result<Void, StoreError>)]()) { $0.append($1) }
        }
        try await blocker.value

        for (name, result) in results {
            switch name {
            case "big": #expect(throws: StoreError.mapFull) { try result.get() }
            case "good": #expect(throws: Never.self) { try result.get() }
            default: break
            }
        }
        // Of the two entries with one id, the first written wins; the other fails alone.
        let duplicates = results.filter { $0.0 == "dup" }.map(\.1)
        #expect(duplicates.filter { (try? $0.get()) != nil }.count == 1)
        #expect(duplicates.contains { result in
            if case .failure(.duplicateID(table: "spool", id: good[0].message.id)) = result { true } else { false }
        })
        #expect(try store.read { try $0.count(SpooledMessage.self) } == good.count)
        // The store stays usable.
        try await writer.commit(makeEntry())
    }

    /// The delivery side's hook (`SpoolEntry.admit`) runs inside the spool
    /// transaction: what it changes is what is written, in that transaction;
    /// a transaction rolled back after it ran writes nothing of it, and the
    /// next one (a retry) runs it again.
    @Test func theAdmitHookChangesTheDeliveriesInTheTransaction() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        final class Runs: Sendable { let ids = Mutex<[String]>([]) }
        let runs = Runs()
        let leaseEnd = storedNow().addingTimeInterval(60)
        var entry = makeEntry()
        entry.admit = { message, deliveries, txn in
            // The message is already in the transaction, the deliveries not yet.
            let written = try txn.reader.get(SpooledMessage.self, id: message.id)
            let deliveriesSoFar = try txn.reader.deliveries(ofMessage: message.id)
            #expect(written != nil && deliveriesSoFar.isEmpty)
            runs.ids.withLock { $0.append(message.id) }
            deliveries[0].attempts = 1
            deliveries[0].leasedUntil = leaseEnd
            deliveries[0].nextAttemptAt = leaseEnd
        }
        struct RolledBack: Error {}
        #expect(throws: RolledBack.self) { try store.write { txn in try txn.insert(entry); throw RolledBack() } }
        #expect(try store.read { try $0.count(Delivery.self) } == 0)
        try await writer.commit(entry)
        #expect(runs.ids.withLock { $0 } == [entry.message.id, entry.message.id])
        let stored = try store.read { try $0.deliveries(ofMessage: entry.message.id) }
        let leased = try #require(stored.first { $0.id == entry.deliveries[0].id })
        #expect(leased.attempts == 1 && leased.leasedUntil == leaseEnd && leased.nextAttemptAt == leaseEnd)
        #expect(stored.first { $0.id == entry.deliveries[1].id }?.leasedUntil == nil)
    }

    @Test func commitsAfterShutdownThrowAndShutdownDrains() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let writer = SpoolWriter(store: store)
        let entries = (0..<20).map { _ in makeEntry() }
        // Released only once shutdown has begun, so all 20 are queued when it does.
        let blocker = await blockWrites(store) { writer.statistics.pending >= entries.count && !writer.isRunning }
        let commits = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for entry in entries { group.addTask { try await writer.commit(entry) } }
                try await group.waitForAll()
            }
        }
        // Shut down while all 20 are queued: they are still committed.
        while writer.statistics.pending < entries.count { try await Task.sleep(for: .milliseconds(1)) }
        #expect(writer.isRunning)
        let shutdown = Task.detached { writer.shutdown() }
        try await blocker.value
        await shutdown.value
        try await commits.value
        #expect(!writer.isRunning)
        #expect(try store.read { try $0.count(SpooledMessage.self) } == entries.count)

        await #expect(throws: StoreError.closed) { try await writer.commit(makeEntry()) }
        writer.shutdown()
        #expect(try store.read { try $0.count(SpooledMessage.self) } == entries.count)
    }

    @Test func closedStoreFailsCommits() async throws {
        defer { directory.cleanup() }
        let store = try openStore()
        let writer = SpoolWriter(store: store)
        defer { writer.shutdown() }
        store.close()
        await #expect(throws: StoreError.closed) { try await writer.commit(makeEntry()) }
    }
}
