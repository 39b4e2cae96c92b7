/// The on-disk layout a build expects: its version, its record types and
/// its raw databases.
///
/// The version is stored in the `meta` database at `schema_version`. Opening
/// data with a newer version fails (`StoreError.schemaTooNew`); opening data
/// with an older one runs the migrations registered for the versions between.
public struct Schema: Sendable {
    /// The version this build writes.
    public var version: Int
    /// Every record type kept in the store.
    public var records: [any StoreRecord.Type]
    /// Databases of opaque bytes under string keys (`WriteTransaction.putRaw`),
    /// for values that are not records, such as raw message bodies: no record encoding,
    /// no format byte, no indexes.
    public var rawDatabases: [String]
    /// Upgrades from `version - 1` to each key's version, run in one write transaction.
    public var migrations: [Int: @Sendable (WriteTransaction) throws -> Void]

    public init(
        version: Int,
        records: [any StoreRecord.Type],
        rawDatabases: [String] = [],
        migrations: [Int: @Sendable (WriteTransaction) throws -> Void] = [:]
    ) {
        self.version = version
        self.records = records
        self.rawDatabases = rawDatabases
        self.migrations = migrations
    }

    /// Database names: `meta`, each table, each `table.index`, each raw database.
    var databaseNames: [String] {
        var names = [Store.metaDatabase]
        for record in records {
            names.append(record.tableName)
            names.append(contentsOf: record.indexDatabaseNames)
        }
        return names + rawDatabases
    }
}

extension StoreRecord {
    static var indexDatabaseNames: [String] {
        indexes.map { "\(tableName).\($0.name)" }
    }
}
