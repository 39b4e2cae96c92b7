import CLMDB
import Glibc

/// Conduit's state: one LMDB environment holding a database per record type,
/// one per secondary index, and `meta` (schema version).
///
/// Transactions are synchronous closures: `read` runs on a fresh read-only
/// snapshot, `write` commits (with fsync) when the closure returns. LMDB
/// admits one writer at a time, so concurrent `write` calls queue; keep their
/// closures short and never `await` inside them (the compiler enforces the
/// latter: the closures are not async).
public final class Store: Sendable {
    static let metaDatabase = "meta"
    static let schemaVersionKey = Array("schema_version".utf8)

    private let environment: Environment
    private let databases: [String: UInt32]
    private let rawDatabases: Set<String>
    private let watches = StoreWatches()
    /// The directory of the LMDB environment.
    public let path: String
    /// The schema version of the data, after migrations.
    public let schemaVersion: Int

    /// Opens or creates the store at `path`, checks the schema version, runs
    /// pending migrations and opens every database the schema names.
    public convenience init(path: String, mapSizeBytes: Int, schema: Schema) throws {
        let names = schema.databaseNames
        let rawDatabases = Set(schema.rawDatabases)
        let environment = try Environment(path: path, mapSizeBytes: mapSizeBytes, maxDatabases: names.count + 8)
        var databases: [String: MDB_dbi] = [:]
        let version: Int
        do {
            version = try environment.withTransaction(readOnly: false) { txn in
                for name in names {
                    var dbi: MDB_dbi = 0
                    try check(mdb_dbi_open(txn, name, UInt32(MDB_CREATE), &dbi))
                    databases[name] = dbi
                }
                let raw = RawTransaction(txn: txn, databases: databases, rawDatabases: rawDatabases)
                return try Self.migrate(raw, to: schema)
            }
        } catch {
            environment.close()
            throw error
        }
        self.init(environment: environment, databases: databases, rawDatabases: rawDatabases, path: path, schemaVersion: version)
    }

    /// Opens an existing store for reading only, beside a serving process
    /// (`conduit spool list`): no write transaction, no migration, nothing
    /// created. Databases of `schema` missing from the data are left out
    /// (reading them throws `StoreError.unknownDatabase`). Data with a newer
    /// schema version throws `StoreError.schemaTooNew`; `write` on this store
    /// fails.
    public convenience init(readOnlyAt path: String, schema: Schema) throws {
        try Self.requireDataFile(at: path)
        let names = schema.databaseNames
        let environment = try Environment(path: path, mapSizeBytes: 0, maxDatabases: names.count + 8, readOnly: true)
        var databases: [String: MDB_dbi] = [:]
        let version: Int
        do {
            // Committed, not aborted: LMDB keeps database handles opened in a
            // read-only transaction only when it commits.
            version = try environment.withTransaction(readOnly: true, commit: true) { txn in
                for name in names {
                    var dbi: MDB_dbi = 0
                    let rc = mdb_dbi_open(txn, name, 0, &dbi)
                    if rc == MDB_NOTFOUND { continue }
                    try check(rc)
                    databases[name] = dbi
                }
                let raw = RawTransaction(txn: txn, databases: databases)
                return try Self.storedVersion(raw, supported: schema.version) ?? schema.version
            }
        } catch {
            environment.close()
            throw error
        }
        self.init(
            environment: environment, databases: databases, rawDatabases: Set(schema.rawDatabases),
            path: path, schemaVersion: version
        )
    }

    private init(environment: Environment, databases: [String: MDB_dbi], rawDatabases: Set<String>, path: String, schemaVersion: Int) {
        self.environment = environment
        self.databases = databases
        self.rawDatabases = rawDatabases
        self.path = path
        self.schemaVersion = schemaVersion
    }

    /// Runs `body` on a read-only snapshot.
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try environment.withTransaction(readOnly: true) { txn in
            try body(ReadTransaction(raw: RawTransaction(txn: txn, databases: databases, rawDatabases: rawDatabases)))
        }
    }

    /// Runs `body` in a write transaction: committed when it returns, rolled
    /// back when it throws. `durable` (the default) returns once the commit
    /// would survive a power loss; `durable: false` saves one of the two
    /// syncs, for what may be undone by a power loss (not by a crash of the
    /// process) because redoing it is harmless: leases and delivery outcomes
    /// (docs/ARCHITECTURE.md, "Durability").
    /// A write that failed because the disk filled up throws `.diskFull`
    /// (see `StoreError.isStorageFull(_:)`) however LMDB reported it.
    ///
    /// `committed` runs once the commit is visible to other transactions and
    /// before a durable write's last sync (the spool wakes the delivery
    /// engine there: docs/ARCHITECTURE.md, "Durability").
    public func write<T>(durable: Bool = true, committed: (() -> Void)? = nil, _ body: (WriteTransaction) throws -> T) throws -> T {
        let changes = ChangedTables()
        let watches = watches
        let afterCommit = {
            // Before anything else sees the commit's effects through this
            // process: the watches' caches must not outlive it (StoreWatch).
            watches.committed(changes)
            committed?()
        }
        do {
            return try environment.withTransaction(readOnly: false, durable: durable, committed: afterCommit) { txn in
                try body(WriteTransaction(raw: RawTransaction(txn: txn, databases: databases, rawDatabases: rawDatabases), changes: changes))
            }
        } catch StoreError.mapFull {
            // The pages the last commit freed (a drained message) are usable
            // only after another commit: make one, so the next write finds them.
            settleFreedPages()
            throw StoreError.mapFull
        } catch let error as StoreError where error.mayBeFullDisk {
            // LMDB reports a write that ran out of disk part-way as EIO (a
            // short pwrite), not ENOSPC; with the disk (nearly) full that is
            // what happened, and callers must answer "try later", not 451.
            if let free = freeDiskBytes(), free < StoreError.fullDiskThresholdBytes { throw StoreError.diskFull }
            throw error
        }
    }

    /// After `mapFull`: commits one tiny transaction past the pages the last
    /// commit freed when that was at least 16 pages (`Environment.commitPastFreedPages`),
    /// in a map grown by 8 pages for it. The transaction puts and deletes a
    /// key in one database: pages are touched, no data changes.
    private func settleFreedPages() {
        guard let dbi = databases.values.min() else { return }
        _ = try? environment.commitPastFreedPages(minimumPages: 16, slackPages: 8) { txn in
            var byte: UInt8 = 0
            try withUnsafeMutableBytes(of: &byte) { buffer in
                let name = Array("\u{7F}settle".utf8)
                try name.withUnsafeBufferPointer { keyBytes in
                    var key = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                    var value = MDB_val(mv_size: buffer.count, mv_data: buffer.baseAddress)
                    try check(mdb_put(txn, dbi, &key, &value, UInt32(MDB_NOOVERWRITE)))
                    try check(mdb_del(txn, dbi, &key, nil))
                }
            }
        }
    }

    /// A counter that moves after every committed write changing a record
    /// of one of `types` (see `StoreWatch` for how a cache uses it).
    public func watch(_ types: [any StoreRecord.Type]) -> StoreWatch {
        let watch = StoreWatch(tables: Set(types.map { $0.tableName }))
        watches.add(watch)
        return watch
    }

    /// `false` once `close()` has run.
    public var isOpen: Bool { environment.isOpen }

    /// Waits for running transactions, then releases the environment. Later
    /// calls throw `StoreError.closed`.
    public func close() { environment.close() }

    /// Bytes the map may hold and bytes in use, or `nil` when closed.
    public func usage() -> (mapSizeBytes: Int, usedBytes: Int)? {
        environment.usage().map { (mapSizeBytes: $0.mapSize, usedBytes: $0.usedBytes) }
    }

    /// Bytes of the map that writes can still take (never-used pages plus
    /// LMDB's free list), or `nil` when closed. Shrinks as the store fills and
    /// grows again when records are deleted, unlike `usage().usedBytes`.
    public func freeMapBytes() -> Int? { environment.freeMapBytes() }

    /// Bytes an unprivileged process may still write on the file system
    /// holding the store (`statvfs` of `path`: `f_bavail × f_frsize`), or `nil`
    /// when `statvfs` fails.
    public func freeDiskBytes() -> Int? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }

    /// A consistent, compacted copy of the whole store into `destination`, a
    /// directory that must not exist yet. Safe while other threads or another
    /// process keep writing: LMDB copies one read snapshot.
    public func backup(to destination: String) throws {
        try Self.prepareBackupDirectory(destination)
        do {
            try environment.copy(to: destination)
        } catch {
            Self.removeBackupDirectory(destination)
            throw error
        }
    }

    /// Backs up the store at `path` without opening its schema (the `conduit
    /// backup` command, which may run beside a serving process).
    public static func backup(storeAt path: String, to destination: String) throws {
        try requireDataFile(at: path)
        let environment = try Environment(path: path, mapSizeBytes: 0, maxDatabases: 0, readOnly: true)
        defer { environment.close() }
        try prepareBackupDirectory(destination)
        do {
            try environment.copy(to: destination)
        } catch {
            removeBackupDirectory(destination)
            throw error
        }
    }

    /// Throws unless `path` holds an LMDB environment, so opening without
    /// creating names the problem instead of a bare ENOENT.
    private static func requireDataFile(at path: String) throws(StoreError) {
        var st = stat()
        guard stat(path + "/data.mdb", &st) == 0 else {
            throw StoreError.io(path: path, message: "no Conduit store here (data.mdb: \(String(cString: strerror(errno))))")
        }
    }

    // MARK: Schema version

    /// The version in `meta`, `nil` for a new store; throws when it is newer than `supported`.
    private static func storedVersion(_ raw: RawTransaction, supported: Int) throws -> Int? {
        guard let stored = try raw.get(metaDatabase, key: schemaVersionKey) else { return nil }
        guard let found = Int(String(decoding: stored, as: UTF8.self)) else {
            throw StoreError.corrupted("meta.schema_version is not a number")
        }
        guard found <= supported else {
            throw StoreError.schemaTooNew(found: found, supported: supported)
        }
        return found
    }

    private static func migrate(_ raw: RawTransaction, to schema: Schema) throws -> Int {
        guard let found = try storedVersion(raw, supported: schema.version) else {
            try raw.put(metaDatabase, key: schemaVersionKey, value: Array(String(schema.version).utf8))
            return schema.version
        }
        if found < schema.version {
            let writer = WriteTransaction(raw: raw)
            for version in (found + 1)...schema.version {
                try schema.migrations[version]?(writer)
            }
            try raw.put(metaDatabase, key: schemaVersionKey, value: Array(String(schema.version).utf8))
        }
        return schema.version
    }

    // MARK: Backup directory

    private static func prepareBackupDirectory(_ destination: String) throws(StoreError) {
        var st = stat()
        if lstat(destination, &st) == 0 {
            throw StoreError.io(path: destination, message: "already exists; backup writes a new directory")
        }
        guard mkdir(destination, 0o700) == 0 else {
            throw StoreError.io(path: destination, message: String(cString: strerror(errno)))
        }
    }

    private static func removeBackupDirectory(_ destination: String) {
        unlink(destination + "/data.mdb")
        unlink(destination + "/lock.mdb")
        rmdir(destination)
    }
}
