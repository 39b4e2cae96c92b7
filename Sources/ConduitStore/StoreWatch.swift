import Synchronization

/// A counter of the committed changes to some record types, for an in-memory
/// cache of what they hold (`IdentityService`'s credential cache): it moves
/// after every committed write transaction that inserted, updated or deleted
/// a record of one of them, as soon as the commit is visible to new read
/// transactions and before `Store.write` returns.
///
/// How a cache uses it: read the `generation` *before* the read transaction
/// whose result it keeps, and keep that result only while the generation is
/// still that value (compare on every use). A write that commits after the
/// read began moves the counter past the value read, so nothing it changed
/// can be served from the cache once the write's `Store.write` has returned.
///
/// Only writes through this process's `Store` move it. Conduit's other
/// commands (`conduit spool`, `conduit backup`) open the store read-only; a
/// second process writing the same environment would not be seen.
public final class StoreWatch: Sendable {
    /// The `tableName`s of the watched record types.
    let tables: Set<String>
    private let counter = Atomic<UInt64>(0)

    init(tables: Set<String>) {
        self.tables = tables
    }

    /// How many committed write transactions changed a watched type so far.
    public var generation: UInt64 { counter.load(ordering: .sequentiallyConsistent) }

    func advance() {
        counter.add(1, ordering: .sequentiallyConsistent)
    }
}

/// The tables one write transaction changed, so `Store.write` can advance
/// the watches on them once it commits. Used by one transaction, on one
/// thread, inside its closure.
final class ChangedTables {
    private(set) var names: Set<String> = []

    func insert(_ table: String) {
        names.insert(table)
    }
}

/// The watches of one store and their advance after a commit.
final class StoreWatches: Sendable {
    private let watches = Mutex<[StoreWatch]>([])

    func add(_ watch: StoreWatch) {
        watches.withLock { $0.append(watch) }
    }

    /// Advances every watch on one of `changed`.
    func committed(_ changed: ChangedTables) {
        guard !changed.names.isEmpty else { return }
        for watch in watches.withLock({ $0 }) where !watch.tables.isDisjoint(with: changed.names) {
            watch.advance()
        }
    }
}
