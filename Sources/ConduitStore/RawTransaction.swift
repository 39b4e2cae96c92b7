import CLMDB

/// Byte-level operations on one open LMDB transaction. Internal: callers see
/// `ReadTransaction` / `WriteTransaction`, never an `MDB_txn`.
struct RawTransaction {
    let txn: OpaquePointer
    let databases: [String: MDB_dbi]
    /// The schema's raw databases: the only ones `putRaw` and friends may touch,
    /// so raw bytes never land in a record table or an index.
    var rawDatabases: Set<String> = []

    /// LMDB's compile-time maximum key size (Debian builds use the default).
    static let maxKeySize = 511

    func dbi(_ name: String) throws(StoreError) -> MDB_dbi {
        guard let dbi = databases[name] else { throw StoreError.unknownDatabase(name) }
        return dbi
    }

    func get(_ database: String, key: [UInt8]) throws(StoreError) -> [UInt8]? {
        do {
            return try withValue(database, key: key) { Array($0) }
        } catch let error as StoreError {
            throw error
        } catch {
            preconditionFailure("copying a value cannot fail: \(error)")
        }
    }

    /// Stores `value` at `key`; with `overwrite: false` returns `false` (and
    /// writes nothing) when the key already exists.
    @discardableResult
    func put(_ database: String, key: [UInt8], value: [UInt8], overwrite: Bool = true) throws(StoreError) -> Bool {
        let dbi = try dbi(database)
        try Self.validate(key)
        let flags = overwrite ? 0 : UInt32(MDB_NOOVERWRITE)
        let rc = key.withUnsafeBytes { k in
            value.withUnsafeBytes { v -> Int32 in
                var mkey = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                var mval = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                return mdb_put(txn, dbi, &mkey, &mval, flags)
            }
        }
        if rc == MDB_KEYEXIST, !overwrite { return false }
        try check(rc)
        return true
    }

    /// Stores `bytes` at `key` with a single `mdb_put` reading straight from
    /// the caller's memory: LMDB copies them once, into the map's pages (large
    /// values go to overflow pages), with no intermediate buffer.
    func put(_ database: String, key: [UInt8], bytes: UnsafeRawBufferPointer) throws(StoreError) {
        let dbi = try dbi(database)
        try Self.validate(key)
        let rc = key.withUnsafeBytes { k -> Int32 in
            var mkey = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            var mval = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return mdb_put(txn, dbi, &mkey, &mval, 0)
        }
        try check(rc)
    }

    /// Stores `count` bytes at `key` that `fill` writes straight into the
    /// map (`MDB_RESERVE`: one `mdb_put` reserves the space, large values on
    /// overflow pages), so a body read in pieces — memory, then a spill
    /// file — is copied once, into its place. When `fill` throws, the value
    /// holds garbage: the caller must let the error end the transaction.
    func put(_ database: String, key: [UInt8], reserving count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let dbi = try dbi(database)
        try Self.validate(key)
        var mval = MDB_val(mv_size: count, mv_data: nil)
        let rc = key.withUnsafeBytes { k -> Int32 in
            var mkey = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_put(txn, dbi, &mkey, &mval, UInt32(MDB_RESERVE))
        }
        try check(rc)
        try fill(UnsafeMutableRawBufferPointer(start: mval.mv_data, count: count))
    }

    /// Calls `body` with the value at `key` where it lies in the map (no
    /// copy), or returns `nil` when there is none. The pointer is valid only
    /// during the call.
    func withValue<R>(_ database: String, key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        let dbi = try dbi(database)
        try Self.validate(key)
        var value = MDB_val()
        let rc = key.withUnsafeBytes { k -> Int32 in
            var mkey = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_get(txn, dbi, &mkey, &value)
        }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc)
        return try body(UnsafeRawBufferPointer(start: value.mv_data, count: value.mv_size))
    }

    /// Throws unless `database` is one of the schema's raw databases.
    func checkRaw(_ database: String) throws(StoreError) {
        guard rawDatabases.contains(database) else {
            throw StoreError.unknownDatabase("\(database) is not a raw database of the schema")
        }
    }

    /// Removes `key`; `false` when it was not there.
    @discardableResult
    func delete(_ database: String, key: [UInt8]) throws(StoreError) -> Bool {
        let dbi = try dbi(database)
        try Self.validate(key)
        let rc = key.withUnsafeBytes { k -> Int32 in
            var mkey = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
            return mdb_del(txn, dbi, &mkey, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc)
        return true
    }

    func count(_ database: String) throws(StoreError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, try dbi(database), &stat))
        return stat.ms_entries
    }

    /// Visits entries whose key starts with `prefix`, in key order (or
    /// reverse), strictly after `after` when given, until `visit` returns false.
    /// The first `skip` entries of the range are stepped over without being
    /// copied or visited (paging costs a cursor step per skipped entry, and
    /// the scan ends as soon as the range does).
    func scan(
        _ database: String,
        prefix: [UInt8] = [],
        after: [UInt8]? = nil,
        reverse: Bool = false,
        skip: Int = 0,
        visit: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        let dbi = try dbi(database)
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor))
        defer { mdb_cursor_close(cursor) }

        var key = MDB_val()
        var value = MDB_val()
        var rc = try position(cursor, prefix: prefix, after: after, reverse: reverse, key: &key, value: &value)
        let step = reverse ? MDB_PREV : MDB_NEXT
        var skipped = 0
        while rc == 0, skipped < skip {
            guard Self.starts(key, with: prefix) else { return }
            skipped += 1
            rc = mdb_cursor_get(cursor, &key, &value, step)
        }
        while rc == 0 {
            let k = Self.bytes(key)
            // The cursor starts inside the prefix range, so leaving it ends the scan.
            guard k.starts(with: prefix), try visit(k, Self.bytes(value)) else { return }
            rc = mdb_cursor_get(cursor, &key, &value, step)
        }
        if rc != MDB_NOTFOUND { try check(rc) }
    }

    /// The distinct key prefixes up to the first `separator` byte, in key
    /// order, from the first key ≥ `from` (the start when `nil` or empty);
    /// at most `limit`; each with the rest of its first key (after the
    /// separator). One seek per prefix: the keys under a prefix are jumped
    /// over, not visited. Keys without the separator are skipped.
    func distinctPrefixes(
        _ database: String, separator: UInt8, from: [UInt8]?, limit: Int
    ) throws(StoreError) -> [(prefix: [UInt8], firstRest: ArraySlice<UInt8>)] {
        var prefixes: [(prefix: [UInt8], firstRest: ArraySlice<UInt8>)] = []
        guard limit > 0 else { return prefixes }
        let dbi = try dbi(database)
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor))
        defer { mdb_cursor_close(cursor) }
        var key = MDB_val()
        var value = MDB_val()
        var target = from ?? []
        while prefixes.count < limit {
            let rc = target.isEmpty ? mdb_cursor_get(cursor, &key, &value, MDB_FIRST) : try seek(cursor, to: target, key: &key, value: &value)
            if rc == MDB_NOTFOUND { break }
            try check(rc)
            let found = Self.bytes(key)
            guard let end = found.firstIndex(of: separator) else {
                // Not a prefixed key: go on after it.
                target = found + [0]
                continue
            }
            let prefix = Array(found[..<end])
            prefixes.append((prefix, found[(end + 1)...]))
            // Every key under `prefix SEP` sorts below `prefix (SEP + 1)`.
            target = prefix + [separator + 1]
        }
        return prefixes
    }

    /// Puts the cursor on the first entry to visit: forward, the first key
    /// ≥ prefix and > after; reverse, the last key < after and < the end of the
    /// prefix range.
    private func position(
        _ cursor: OpaquePointer?, prefix: [UInt8], after: [UInt8]?, reverse: Bool,
        key: inout MDB_val, value: inout MDB_val
    ) throws(StoreError) -> Int32 {
        if reverse {
            let bounds = [after, Self.successor(of: prefix)].compactMap { $0 }
            guard let bound = bounds.min(by: { $0.lexicographicallyPrecedes($1) }) else {
                return mdb_cursor_get(cursor, &key, &value, MDB_LAST)
            }
            let rc = try seek(cursor, to: bound, key: &key, value: &value)
            // Nothing at or after the bound: the last key is the first below it.
            if rc == MDB_NOTFOUND { return mdb_cursor_get(cursor, &key, &value, MDB_LAST) }
            guard rc == 0 else { return rc }
            return mdb_cursor_get(cursor, &key, &value, MDB_PREV)
        }
        let start: [UInt8]
        if let after, !after.lexicographicallyPrecedes(prefix) { start = after } else { start = prefix }
        guard !start.isEmpty else { return mdb_cursor_get(cursor, &key, &value, MDB_FIRST) }
        var rc = try seek(cursor, to: start, key: &key, value: &value)
        if rc == 0, let after, Self.bytes(key) == after {
            rc = mdb_cursor_get(cursor, &key, &value, MDB_NEXT)
        }
        return rc
    }

    /// MDB_SET_RANGE: the first key ≥ `target`.
    private func seek(_ cursor: OpaquePointer?, to target: [UInt8], key: inout MDB_val, value: inout MDB_val) throws(StoreError) -> Int32 {
        try Self.validate(target)
        return target.withUnsafeBytes { t -> Int32 in
            key = MDB_val(mv_size: t.count, mv_data: UnsafeMutableRawPointer(mutating: t.baseAddress))
            return mdb_cursor_get(cursor, &key, &value, MDB_SET_RANGE)
        }
    }

    /// The smallest byte string greater than every string starting with `prefix`
    /// (`nil` when there is none, i.e. the prefix is empty or all 0xFF).
    static func successor(of prefix: [UInt8]) -> [UInt8]? {
        var s = prefix
        while let last = s.last {
            if last < 0xFF {
                s[s.count - 1] = last + 1
                return s
            }
            s.removeLast()
        }
        return nil
    }

    static func validate(_ key: [UInt8]) throws(StoreError) {
        guard !key.isEmpty else { throw StoreError.invalidKey("empty key") }
        guard key.count <= maxKeySize else { throw StoreError.invalidKey("key of \(key.count) bytes exceeds \(maxKeySize)") }
    }

    /// Whether the key in the map starts with `prefix`, compared in place.
    static func starts(_ key: MDB_val, with prefix: [UInt8]) -> Bool {
        guard !prefix.isEmpty else { return true }
        guard key.mv_size >= prefix.count, let data = key.mv_data else { return false }
        return UnsafeRawBufferPointer(start: data, count: prefix.count).elementsEqual(prefix)
    }

    static func bytes(_ value: MDB_val) -> [UInt8] {
        guard value.mv_size > 0, let data = value.mv_data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: value.mv_size))
    }
}
