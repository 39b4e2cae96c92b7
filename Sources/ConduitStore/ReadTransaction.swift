import ConduitCore
/// Reads from one consistent snapshot of the store. Valid only inside the
/// closure given to `Store.read` or `Store.write`; it is not `Sendable`, so
/// the compiler keeps it on the thread that opened it.
public struct ReadTransaction {
    let raw: RawTransaction

    /// The record with `id`, or `nil`.
    public func get<R: StoreRecord>(_ type: R.Type, id: String) throws -> R? {
        guard let key = try? RecordCodec.idKey(id) else { return nil }
        return try raw.get(R.tableName, key: key).map { try RecordCodec.decode(R.self, from: $0) }
    }

    /// The record a unique index maps `key` to, or `nil`.
    // Pre-specialized for the records every authenticated request reads: a
    // caller in another module otherwise runs the generic body, whose type
    // metadata lookups cost as much as the read (docs/PERFORMANCE.md, "REST").
    @_specialize(exported: true, where R == Session)
    @_specialize(exported: true, where R == APIToken)
    public func lookup<R: StoreRecord>(_ type: R.Type, index typedName: IndexName<R>, key: String) throws -> R? {
        let name = typedName.rawValue
        let index = try Self.index(R.self, name)
        guard index.isUnique else { throw StoreError.unknownDatabase("\(R.tableName).\(name) is not unique") }
        guard let entryKey = try? RecordCodec.indexKey(key, id: "", unique: true),
              let id = try raw.get("\(R.tableName).\(name)", key: entryKey)
        else { return nil }
        return try get(R.self, id: String(decoding: id, as: UTF8.self))
    }

    /// Every record an index maps `key` to, oldest id first (newest first with `newestFirst`).
    /// `offset` entries are skipped first without reading their records (one
    /// cursor step each), so a page far down a long list costs no decoding.
    // Pre-specialized for `GET /webhooks`, like `lookup`.
    @_specialize(exported: true, where R == Webhook)
    public func list<R: StoreRecord>(
        _ type: R.Type, index typedName: IndexName<R>, key: String, newestFirst: Bool = false, offset: Int = 0, limit: Int = .max
    ) throws -> [R] {
        let name = typedName.rawValue
        let index = try Self.index(R.self, name)
        guard let prefix = try? RecordCodec.checkedKey(key) else { return [] }
        var records: [R] = []
        guard limit > 0 else { return records }
        // A unique index's prefix range also holds longer keys, which must not
        // count as skipped entries: skip by visiting there (unique lists are short).
        let skipInPlace = index.isUnique ? 0 : max(0, offset)
        var toDrop = index.isUnique ? max(0, offset) : 0
        try raw.scan("\(R.tableName).\(name)", prefix: index.isUnique ? prefix : prefix + [0], reverse: newestFirst,
                     skip: skipInPlace) { entryKey, id in
            // A unique index scanned by prefix also sees longer keys; keep exact matches.
            if index.isUnique, entryKey != prefix { return true }
            if toDrop > 0 {
                toDrop -= 1
                return true
            }
            if let record = try get(R.self, id: String(decoding: id, as: UTF8.self)) { records.append(record) }
            return records.count < limit
        }
        return records
    }

    /// Records of a type in id order — creation order for time-ordered ids —
    /// newest first by default, starting after the id `after` (for paging).
    public func scan<R: StoreRecord>(
        _ type: R.Type, newestFirst: Bool = true, after: String? = nil, limit: Int = .max
    ) throws -> [R] {
        var records: [R] = []
        guard limit > 0 else { return records }
        let afterKey = try after.map { id throws(StoreError) in try RecordCodec.idKey(id) }
        try raw.scan(R.tableName, after: afterKey, reverse: newestFirst) { _, value in
            records.append(try RecordCodec.decode(R.self, from: value))
            return records.count < limit
        }
        return records
    }

    /// Records whose index key sorts before `bound` (e.g. an `ExpiryKey` of
    /// now, to find what has expired), in index order, at most `limit`.
    public func list<R: StoreRecord>(_ type: R.Type, index typedName: IndexName<R>, below bound: String, limit: Int) throws -> [R] {
        let name = typedName.rawValue
        _ = try Self.index(R.self, name)
        let boundKey = Array(bound.utf8)
        var records: [R] = []
        guard limit > 0 else { return records }
        try raw.scan("\(R.tableName).\(name)") { entryKey, id in
            guard entryKey.lexicographicallyPrecedes(boundKey) else { return false }
            if let record = try get(R.self, id: String(decoding: id, as: UTF8.self)) { records.append(record) }
            return records.count < limit
        }
        return records
    }

    /// How many records of a type exist.
    public func count<R: StoreRecord>(_ type: R.Type) throws -> Int {
        try raw.count(R.tableName)
    }

    // MARK: Raw databases

    /// A copy of the bytes at `key` in a raw database (`Schema.rawDatabases`), or `nil`.
    public func raw(database: String, key: String) throws -> [UInt8]? {
        try withRaw(database: database, key: key) { Array($0) }
    }

    /// Calls `body` with the bytes at `key` where they lie in the memory map,
    /// without copying them (for parsing a large body in place); `nil` when
    /// there is none. The buffer is valid only during the call.
    public func withRaw<T>(database: String, key: String, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T? {
        try raw.checkRaw(database)
        guard let key = try? RecordCodec.checkedKey(key) else { return nil }
        return try raw.withValue(database, key: key, body)
    }

    static func index<R: StoreRecord>(_ type: R.Type, _ name: String) throws(StoreError) -> RecordIndex<R> {
        guard let index = R.indexes.first(where: { $0.name == name }) else {
            throw StoreError.unknownDatabase("\(R.tableName).\(name)")
        }
        return index
    }
}
