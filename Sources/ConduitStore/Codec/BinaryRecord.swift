/// A value with a hand-written binary layout (`RecordWriter`/`RecordReader`):
/// a record's nested parts, such as a webhook's SMTP credential.
///
/// `encode(to:)` writes the fields in one fixed order and `decode(from:)`
/// reads them back in the same order. Decoding is total: bytes that do not
/// hold a value throw `StoreError.corrupted`, they never trap.
public protocol BinaryValue {
    func encode(to writer: inout RecordWriter)
    static func decode(from reader: inout RecordReader) throws(StoreError) -> Self
}

/// A record's layout in format 2 (docs/ARCHITECTURE.md, "Storage layout").
///
/// Every stored value starts with the format byte and the record type's
/// layout version, so a field can be added without rewriting the table:
/// bump `layoutVersion`, write the new field, and in `decode(from:)` read it
/// only when `reader.layout` is new enough (older values get its default).
/// A value of a newer layout than the build knows is refused as corrupted;
/// the schema version keeps an older build from opening such a store.
public protocol BinaryRecord: BinaryValue {
    /// The layout this build writes, 1...255.
    static var layoutVersion: UInt8 { get }
}
