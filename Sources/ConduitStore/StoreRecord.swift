/// A value kept in its own named database, keyed by `id`.
///
/// Each record type is one LMDB database named `tableName`; each of its
/// `indexes` is another database named `<tableName>.<index name>` that the
/// store keeps in step with the records inside the same write transaction.
///
/// Values are stored in the binary format 2 (`BinaryRecord`). `Decodable`
/// is only for the schema-4 migration, which reads the JSON of format 1.
public protocol StoreRecord: BinaryRecord, Decodable, Sendable {
    /// The database name, e.g. `"accounts"`. Stable: it is part of the on-disk layout.
    static var tableName: String { get }
    /// Secondary indexes over this record type.
    static var indexes: [RecordIndex<Self>] { get }
    /// The primary key. Time-ordered ids make `scan` return records in creation order.
    var id: String { get }
}

extension StoreRecord {
    public static var indexes: [RecordIndex<Self>] { [] }
}

/// The name of one of `Record`'s secondary indexes. Typed by its record:
/// each record type declares its index names as static members
/// (`IndexName<Delivery>.byMessage`), so asking a table for an index it does
/// not have — a misspelt one, or another table's — does not compile.
public struct IndexName<Record>: Sendable, Hashable, CustomStringConvertible {
    /// The name in the on-disk layout (`<tableName>.<rawValue>`), e.g. `"by_email"`.
    public let rawValue: String

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// A secondary index: every key `keys(record)` returns points at the record.
public struct RecordIndex<Record>: Sendable {
    /// The index name, e.g. `"by_email"`. Stable: part of the on-disk layout.
    public let name: String
    /// Whether two records may share a key (`false`) or not (`true`).
    public let isUnique: Bool
    /// The keys of one record; empty when the record is not indexed.
    public let keys: @Sendable (Record) -> [String]

    public init(_ name: IndexName<Record>, unique: Bool, keys: @escaping @Sendable (Record) -> [String]) {
        self.name = name.rawValue
        self.isUnique = unique
        self.keys = keys
    }

    /// An index with exactly one key per record.
    public init(_ name: IndexName<Record>, unique: Bool, key: @escaping @Sendable (Record) -> String) {
        self.init(name, unique: unique, keys: { [key($0)] })
    }
}
