import CLMDB
import Glibc

/// Owns one LMDB environment handle.
///
/// LMDB documents the `MDB_env` handle as safe to share between threads; it is
/// opened with `MDB_NOTLS` so read transactions are not tied to a thread's
/// slot, and every transaction lives inside one synchronous closure here, so no
/// `MDB_txn` outlives the call or crosses a thread. `lock` keeps `close()` from
/// freeing the handle under a running transaction.
final class Environment: @unchecked Sendable {
    let path: String
    private var handle: OpaquePointer?
    private let lock = ReadWriteLock()

    /// Opens (creating if needed) the environment directory at `path`.
    init(path: String, mapSizeBytes: Int, maxDatabases: Int, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        if !readOnly { try Self.makeDirectory(path) }
        var env: OpaquePointer?
        try check(mdb_env_create(&env))
        guard let env else { throw StoreError.lmdb(code: -1, message: "mdb_env_create returned no handle") }
        do {
            try check(mdb_env_set_mapsize(env, mapSizeBytes))
            try check(mdb_env_set_maxdbs(env, MDB_dbi(maxDatabases)))
            // Many tasks may read at once; each read transaction takes a reader slot.
            try check(mdb_env_set_maxreaders(env, 1024))
            // MDB_NOMETASYNC: a commit syncs its data pages but leaves the
            // meta page to the next sync, so a power loss can undo the last
            // commits but never corrupt the map (LMDB's documented
            // guarantee). A durable write syncs the meta page itself right
            // after its commit (`withTransaction(durable: true)`); a process
            // crash (kill -9) loses nothing either way: the page cache holds it.
            var flags = UInt32(MDB_NOTLS) | UInt32(MDB_NOMETASYNC)
            if readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(env, path, flags, 0o600), path: path)
        } catch {
            mdb_env_close(env)
            throw error
        }
        handle = env
    }

    deinit { close() }

    var isOpen: Bool { lock.withReadLock { handle != nil } }

    /// Closes the handle after every running transaction has ended. Idempotent.
    func close() {
        lock.withWriteLock {
            if let handle { mdb_env_close(handle) }
            handle = nil
        }
    }

    /// Runs `body` in a transaction: read-only ones are aborted afterwards
    /// (committed with `commit`, which keeps database handles they opened),
    /// write ones are committed when `body` returns and aborted when it throws.
    /// A `durable` write has reached the disk, meta page included, when this
    /// returns; one that is not is on disk up to its meta page (one sync
    /// instead of two) and becomes durable with the next durable write.
    /// `committed` runs right after `mdb_txn_commit` (the commit is visible
    /// to new transactions) and before a durable write's meta-page sync.
    func withTransaction<T>(
        readOnly: Bool, commit: Bool = false, durable: Bool = true, committed: (() -> Void)? = nil,
        _ body: (OpaquePointer) throws -> T
    ) throws -> T {
        try lock.withReadLock { () throws -> T in
            guard let env = handle else { throw StoreError.closed }
            var txn: OpaquePointer?
            var rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
            if rc == MDB_MAP_RESIZED {
                // Another process grew the map; adopt its size and retry once.
                try check(mdb_env_set_mapsize(env, 0))
                rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
            }
            try check(rc, path: path)
            guard let txn else { throw StoreError.lmdb(code: -1, message: "mdb_txn_begin returned no handle") }
            let result: T
            do {
                result = try body(txn)
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            if readOnly, !commit {
                mdb_txn_abort(txn)
            } else {
                // mdb_txn_commit frees the transaction whether or not it succeeds.
                try check(mdb_txn_commit(txn), path: path)
                committed?()
                if !readOnly, durable {
                    try check(mdb_env_sync(env, 1), path: path)
                }
            }
            return result
        }
    }

    /// Makes the pages the last commit freed usable after a write failed
    /// with `MDB_MAP_FULL`; `true` when it committed for that.
    ///
    /// Why: a write transaction gets only the pages freed by transactions
    /// older than the last committed one (LMDB keeps the last commit's frees
    /// for its previous snapshot until the next commit). When the map has no
    /// other free page, no write commits, so those pages never become usable
    /// and the store stays full for good, however much the last commit freed
    /// — a delivered message's body (docs/RELIABILITY.md, "Disk full and LMDB
    /// map full"). Only when the last commit freed at least `minimumPages`:
    /// the map is grown by `slackPages` for one tiny transaction (`touch`,
    /// which must change something and leave the data as it was), then set
    /// back, all with no other transaction running (skipped when one is). LMDB keeps a map at least
    /// as big as its used pages, so the map may end a few pages (what that
    /// transaction took from the slack) past its configured size.
    func commitPastFreedPages(minimumPages: Int, slackPages: Int, _ touch: (OpaquePointer) throws -> Void) throws -> Bool {
        // Not waiting for the lock: the failed write's caller may be inside a
        // read transaction, and the next failed write tries again.
        try lock.withWriteLockIfFree { () throws -> Bool in
            guard let env = handle else { throw StoreError.closed }
            var info = MDB_envinfo()
            var stat = MDB_stat()
            try check(mdb_env_info(env, &info))
            try check(mdb_env_stat(env, &stat))
            // The free list cannot be read in a write transaction: a read one first.
            var reader: OpaquePointer?
            try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &reader), path: path)
            guard let reader else { throw StoreError.lmdb(code: -1, message: "mdb_txn_begin returned no handle") }
            let freed = Result { try Self.lastCommitFreed(reader, lastTransaction: info.me_last_txnid) }
            mdb_txn_abort(reader)
            guard try freed.get() >= minimumPages else { return false }
            let mapSize = info.me_mapsize
            try check(mdb_env_set_mapsize(env, mapSize + slackPages * Int(stat.ms_psize)))
            // Back to the configured size (LMDB rounds it up to the used pages).
            defer { _ = mdb_env_set_mapsize(env, mapSize) }
            var txn: OpaquePointer?
            try check(mdb_txn_begin(env, nil, 0, &txn), path: path)
            guard let txn else { throw StoreError.lmdb(code: -1, message: "mdb_txn_begin returned no handle") }
            do {
                try touch(txn)
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            try check(mdb_txn_commit(txn), path: path)
            try check(mdb_env_sync(env, 1), path: path)
            return true
        } ?? false
    }

    /// How many pages the transaction `lastTransaction` freed (its free-list record).
    private static func lastCommitFreed(_ txn: OpaquePointer, lastTransaction: Int) throws -> Int {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, 0, &cursor))
        guard let cursor else { return 0 }
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        guard mdb_cursor_get(cursor, &key, &value, MDB_LAST) == 0, key.mv_size == MemoryLayout<Int>.size,
              let keyData = key.mv_data, keyData.loadUnaligned(as: Int.self) == lastTransaction,
              value.mv_size >= MemoryLayout<Int>.size, let data = value.mv_data else { return 0 }
        return data.loadUnaligned(as: Int.self)
    }

    /// A compacted, consistent copy of the environment into the existing, empty
    /// directory `destination` (LMDB copies from one read snapshot).
    func copy(to destination: String) throws(StoreError) {
        try lock.withReadLock { () throws(StoreError) in
            guard let env = handle else { throw StoreError.closed }
            try check(mdb_env_copy2(env, destination, UInt32(MDB_CP_COMPACT)), path: destination)
        }
    }

    /// Map size, bytes in use and page size, for metrics and health.
    func usage() -> (mapSize: Int, usedBytes: Int)? {
        lock.withReadLock {
            guard let env = handle else { return nil }
            var info = MDB_envinfo()
            var stat = MDB_stat()
            guard mdb_env_info(env, &info) == 0, mdb_env_stat(env, &stat) == 0 else { return nil }
            return (info.me_mapsize, (info.me_last_pgno + 1) * Int(stat.ms_psize))
        }
    }

    /// Bytes of the map that new writes can still take: the pages past the
    /// last one ever used plus the pages on LMDB's free list (freed by
    /// deletes, reused by later writes). `usage()` alone never shrinks, since
    /// LMDB does not give the high-water mark back; this does, so the
    /// headroom check sees the room a drained spool leaves. One read
    /// transaction walking the free list: a record per freeing transaction.
    func freeMapBytes() -> Int? {
        try? withTransaction(readOnly: true) { txn -> Int? in
            guard let env = handle else { return nil }
            var info = MDB_envinfo()
            var stat = MDB_stat()
            guard mdb_env_info(env, &info) == 0, mdb_env_stat(env, &stat) == 0 else { return nil }
            var cursor: OpaquePointer?
            // Database 0 is LMDB's free list: key a transaction id, value an
            // ID list whose first word is the number of page numbers after it.
            guard mdb_cursor_open(txn, 0, &cursor) == 0, let cursor else { return nil }
            defer { mdb_cursor_close(cursor) }
            var key = MDB_val()
            var value = MDB_val()
            var freePages = 0
            var op = MDB_FIRST
            while mdb_cursor_get(cursor, &key, &value, op) == 0 {
                op = MDB_NEXT
                guard value.mv_size >= MemoryLayout<Int>.size, let data = value.mv_data else { continue }
                freePages += data.loadUnaligned(as: Int.self)
            }
            let pageSize = Int(stat.ms_psize)
            let unused = info.me_mapsize / pageSize - (info.me_last_pgno + 1)
            return max(0, unused + freePages) * pageSize
        }
    }

    private static func makeDirectory(_ path: String) throws(StoreError) {
        var components: [Substring] = []
        var prefix = path.hasPrefix("/") ? "/" : ""
        components = path.split(separator: "/")
        for component in components {
            prefix += component
            if mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw StoreError.io(path: prefix, message: String(cString: strerror(errno)))
            }
            prefix += "/"
        }
    }
}
