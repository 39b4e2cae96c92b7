/// A value kept in its own named database, keyed by `id`.
///
/// Each record type is one LMDB database named `tableName`; each of its
/// `indexes` is another database named `<tableName>.<index name>` that the
/// store keeps in step with the records inside the same write transaction.
public protocol StoreRecord: Codable, Sendable {
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

/// A secondary index: every key `keys(record)` returns points at the record.
public struct RecordIndex<Record>: Sendable {
    /// The index name, e.g. `"by_email"`. Stable: part of the on-disk layout.
    public let name: String
    /// Whether two records may share a key (`false`) or not (`true`).
    public let isUnique: Bool
    /// The keys of one record; empty when the record is not indexed.
    public let keys: @Sendable (Record) -> [String]

    public init(_ name: String, unique: Bool, keys: @escaping @Sendable (Record) -> [String]) {
        self.name = name
        self.isUnique = unique
        self.keys = keys
    }

    /// An index with exactly one key per record.
    public init(_ name: String, unique: Bool, key: @escaping @Sendable (Record) -> String) {
        self.init(name, unique: unique, keys: { [key($0)] })
    }
}
