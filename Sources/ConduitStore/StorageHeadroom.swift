import Foundation
import Synchronization

/// Free room for writes, as the headroom rule sees it.
public struct StorageRoom: Sendable, Equatable {
    /// Bytes still writable on the file system holding the store.
    public var freeDiskBytes: Int
    /// Bytes of the LMDB map still writable (never-used pages plus free list).
    public var freeMapBytes: Int

    public init(freeDiskBytes: Int, freeMapBytes: Int) {
        self.freeDiskBytes = freeDiskBytes
        self.freeMapBytes = freeMapBytes
    }
}

/// Postfix's `queue_minfree` for Conduit: new mail is refused (SMTP
/// `452 4.3.1`) while the disk or the map has less than `reserveBytes` free,
/// so what is already accepted can always be finished — delivery claims,
/// outcomes, log rows and cleanup write to the store too, and a store that
/// new mail filled to the last page would leave the spool unable to drain.
/// Only new mail checks the rule; everything else writes into the reserve.
public struct HeadroomRule: Sendable, Equatable {
    /// `[storage] reserve_mb` in bytes; 0 turns the rule off.
    public var reserveBytes: Int

    public init(reserveBytes: Int) { self.reserveBytes = max(0, reserveBytes) }

    /// `true` when both the disk and the map have at least the reserve free,
    /// after `adding` more bytes.
    public func admitsNewMail(_ room: StorageRoom, adding bytes: Int = 0) -> Bool {
        room.freeDiskBytes - bytes >= reserveBytes && room.freeMapBytes - bytes >= reserveBytes
    }

    /// The default reserve for a map of `mapSizeBytes`: the larger of 64 MiB
    /// and 5 % of the map — room for a few thousand outcome and log rows and
    /// the copy-on-write pages of the deletes that drain the spool — but at
    /// most an eighth of the map, so a small map still takes mail.
    public static func defaultReserveBytes(mapSizeBytes: Int) -> Int {
        min(max(64 << 20, mapSizeBytes / 20), mapSizeBytes / 8)
    }
}

/// The headroom rule applied to one store, with the free-room figures cached
/// for `refreshInterval` (1 s by default): SMTP asks at every MAIL FROM and
/// every end of DATA, and the figures cost a `statvfs` and a walk of LMDB's
/// free list, so at most one caller per interval pays for them. What is
/// admitted with a size (`admit(adding:)`: a message at the end of DATA, an
/// API write) is taken off the cached figures at once, so neither the size
/// of the last message nor many admitted within one interval carry the
/// store past the reserve; a refresh measures what has been written since.
public final class StorageHeadroom: Sendable {
    public let rule: HeadroomRule
    private let store: Store
    private let refreshInterval: Duration
    private let cache = Mutex<(room: StorageRoom, at: ContinuousClock.Instant)?>(nil)

    public init(store: Store, rule: HeadroomRule, refreshInterval: Duration = .seconds(1)) {
        self.store = store
        self.rule = rule
        self.refreshInterval = refreshInterval
    }

    /// `false` while new mail (of `adding` bytes, when known) must be
    /// refused; nothing is taken off the figures. Unknown figures (a closed
    /// store, a failing `statvfs`) admit: the write itself then reports what
    /// is wrong.
    public func admitsNewMail(adding bytes: Int = 0) -> Bool {
        guard rule.reserveBytes > 0, let room = room() else { return true }
        return rule.admitsNewMail(room, adding: bytes)
    }

    /// `admitsNewMail()` for something of `bytes` about to be written: it
    /// must leave the reserve free, and when admitted its size is taken off
    /// the cached figures (both the disk and the map), so the next caller
    /// within the interval sees the room it will take.
    public func admit(adding bytes: Int) -> Bool {
        guard rule.reserveBytes > 0, room() != nil else { return true }
        return cache.withLock { cached in
            guard let entry = cached else { return true }
            guard rule.admitsNewMail(entry.room, adding: bytes) else { return false }
            cached?.room = StorageRoom(freeDiskBytes: entry.room.freeDiskBytes - bytes, freeMapBytes: entry.room.freeMapBytes - bytes)
            return true
        }
    }

    /// The current free room, from the cache when it is fresh.
    public func room() -> StorageRoom? {
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0 }), now - cached.at < refreshInterval { return cached.room }
        guard let disk = store.freeDiskBytes(), let map = store.freeMapBytes() else { return nil }
        let room = StorageRoom(freeDiskBytes: disk, freeMapBytes: map)
        cache.withLock { $0 = (room, now) }
        return room
    }

    /// Room a value of `bytes` takes in the map: its 4 KiB pages (LMDB's page
    /// on Linux; a big value is one run of overflow pages) and four more for
    /// the records and index entries beside it.
    public static func mapBytes(forValueOf bytes: Int) -> Int {
        let page = 4096
        return (bytes + page - 1) / page * page + 4 * page
    }
}
