/// Reads and writes inside one LMDB write transaction. Everything done through
/// it commits together when the `Store.write` closure returns, and nothing
/// does when it throws. Indexes are kept in step with every change.
public struct WriteTransaction {
    let raw: RawTransaction
    /// The record types changed, for `Store.watch` (none during migrations,
    /// which run before anything can watch).
    let changes: ChangedTables?

    init(raw: RawTransaction, changes: ChangedTables? = nil) {
        self.raw = raw
        self.changes = changes
    }

    /// Reads see this transaction's own uncommitted writes.
    public var reader: ReadTransaction { ReadTransaction(raw: raw) }

    /// Adds a new record; `StoreError.duplicateID` when its id exists.
    public func insert<R: StoreRecord>(_ record: R) throws {
        let key = try RecordCodec.idKey(record.id)
        guard try raw.get(R.tableName, key: key) == nil else {
            throw StoreError.duplicateID(table: R.tableName, id: record.id)
        }
        try checkUniqueKeys(of: record)
        changes?.insert(R.tableName)
        try addIndexEntries(for: record, skipping: nil)
        try raw.put(R.tableName, key: key, value: RecordCodec.encode(record))
    }

    /// Replaces an existing record; `StoreError.notFound` when there is none.
    public func update<R: StoreRecord>(_ record: R) throws {
        guard let old = try reader.get(R.self, id: record.id) else {
            throw StoreError.notFound(table: R.tableName, id: record.id)
        }
        try checkUniqueKeys(of: record)
        changes?.insert(R.tableName)
        try removeIndexEntries(for: old, keeping: record)
        try addIndexEntries(for: record, skipping: old)
        try raw.put(R.tableName, key: try RecordCodec.idKey(record.id), value: RecordCodec.encode(record))
    }

    /// Replaces `old`, read in this transaction, with `record` (same id)
    /// without reading it again: for a caller that has just read the record
    /// to change it (the delivery engine's claims and outcomes). `old` must
    /// be what the store holds, or its index entries would go stale.
    public func update<R: StoreRecord>(_ record: R, replacing old: R) throws {
        precondition(record.id == old.id, "update(_:replacing:) of another record")
        try checkUniqueKeys(of: record)
        changes?.insert(R.tableName)
        try removeIndexEntries(for: old, keeping: record)
        try addIndexEntries(for: record, skipping: old)
        try raw.put(R.tableName, key: try RecordCodec.idKey(record.id), value: RecordCodec.encode(record))
    }

    /// Inserts or replaces.
    public func save<R: StoreRecord>(_ record: R) throws {
        if try reader.get(R.self, id: record.id) == nil { try insert(record) } else { try update(record) }
    }

    /// Removes a record and its index entries; returns it, or `nil` when absent.
    @discardableResult
    public func delete<R: StoreRecord>(_ type: R.Type, id: String) throws -> R? {
        guard let old = try reader.get(R.self, id: id) else { return nil }
        changes?.insert(R.tableName)
        try removeIndexEntries(for: old, keeping: nil)
        try raw.delete(R.tableName, key: try RecordCodec.idKey(id))
        return old
    }

    // MARK: Raw databases

    /// Stores `bytes` at `key` in a raw database (`Schema.rawDatabases`),
    /// replacing what was there. One `mdb_put` copies them straight from this
    /// buffer into the map, so a body of tens of MB is never copied on the heap.
    public func putRaw(database: String, key: String, bytes: UnsafeRawBufferPointer) throws {
        try raw.checkRaw(database)
        try raw.put(database, key: try RecordCodec.checkedKey(key), bytes: bytes)
    }

    /// `putRaw` of a body that writes itself in pieces (`SpoolBody`): the
    /// space is reserved in the map (`MDB_RESERVE`) and the body copies its
    /// bytes straight into it, so it is never gathered in one heap buffer.
    /// A body that fails to write throws; let the error end the transaction.
    public func putRaw(database: String, key: String, bytes: some SpoolBody) throws {
        try raw.checkRaw(database)
        try raw.put(database, key: try RecordCodec.checkedKey(key), reserving: bytes.count) { try bytes.write(into: $0) }
    }

    /// Removes `key` from a raw database; `false` when it was not there.
    @discardableResult
    public func deleteRaw(database: String, key: String) throws -> Bool {
        try raw.checkRaw(database)
        return try raw.delete(database, key: try RecordCodec.checkedKey(key))
    }

    // MARK: Migrations

    /// Writes the entries of index `name` for every record of `type`: the
    /// step of a migration that adds an index over records already stored
    /// (`insert`/`update` only maintain the keys they change). Entries that
    /// are already there stay. A key a unique index already gives another
    /// record throws `StoreError.uniqueConstraint`, so a migration resolves
    /// duplicates before it builds the index.
    public func buildIndex<R: StoreRecord>(_ type: R.Type, named typedName: IndexName<R>) throws {
        let name = typedName.rawValue
        let index = try ReadTransaction.index(R.self, name)
        let database = "\(R.tableName).\(name)"
        var records: [R] = []
        try raw.scan(R.tableName) { _, value in
            records.append(try RecordCodec.decode(R.self, from: value))
            return true
        }
        for record in records {
            let id = Array(record.id.utf8)
            for key in Set(index.keys(record)) {
                let entry = try RecordCodec.indexKey(key, id: record.id, unique: index.isUnique)
                if let owner = try raw.get(database, key: entry) {
                    guard owner == id else { throw StoreError.uniqueConstraint(index: database, key: key) }
                    continue
                }
                try raw.put(database, key: entry, value: id)
            }
        }
    }

    // MARK: Index maintenance

    /// Fails before anything is written, so a caught constraint error leaves
    /// the transaction as it was.
    private func checkUniqueKeys<R: StoreRecord>(of record: R) throws {
        for index in R.indexes where index.isUnique {
            for key in Set(index.keys(record)) {
                let entry = try RecordCodec.indexKey(key, id: record.id, unique: true)
                if let owner = try raw.get("\(R.tableName).\(index.name)", key: entry), owner != Array(record.id.utf8) {
                    throw StoreError.uniqueConstraint(index: "\(R.tableName).\(index.name)", key: key)
                }
            }
        }
    }

    private func addIndexEntries<R: StoreRecord>(for record: R, skipping old: R?) throws {
        for index in R.indexes {
            let database = "\(R.tableName).\(index.name)"
            let existing = Set(old.map(index.keys) ?? [])
            for key in Set(index.keys(record)) where !existing.contains(key) {
                let entry = try RecordCodec.indexKey(key, id: record.id, unique: index.isUnique)
                let added = try raw.put(database, key: entry, value: Array(record.id.utf8), overwrite: false)
                if !added {
                    throw StoreError.uniqueConstraint(index: database, key: key)
                }
            }
        }
    }

    private func removeIndexEntries<R: StoreRecord>(for old: R, keeping new: R?) throws {
        for index in R.indexes {
            let database = "\(R.tableName).\(index.name)"
            let kept = Set(new.map(index.keys) ?? [])
            for key in Set(index.keys(old)) where !kept.contains(key) {
                try raw.delete(database, key: try RecordCodec.indexKey(key, id: old.id, unique: index.isUnique))
            }
        }
    }
}
