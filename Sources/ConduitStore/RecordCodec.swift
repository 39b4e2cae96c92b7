/// How records are laid out as LMDB values: one format byte, then the body.
///
/// Format 2 (schema 4 on) is binary: the record type's layout version (one
/// byte), then its fields as `BinaryRecord.encode(to:)` writes them
/// (docs/ARCHITECTURE.md, "Storage layout"). Format 1 was JSON; the schema-4
/// migration rewrites it (`LegacyRecordFormat`), and reading a format-1
/// value anywhere else is an error.
///
/// Public for the micro-benchmarks (Benchmarks/); the store is its only user.
public enum RecordCodec {
    static let binaryFormat: UInt8 = 2
    /// Format 1, JSON: read only by `LegacyRecordFormat`.
    static let jsonFormat: UInt8 = 1

    public static func encode<R: BinaryRecord>(_ record: R) -> [UInt8] {
        var writer = RecordWriter(format: binaryFormat, layout: R.layoutVersion)
        record.encode(to: &writer)
        return writer.bytes
    }

    public static func decode<R: BinaryRecord>(_ type: R.Type, from bytes: [UInt8]) throws(StoreError) -> R {
        guard bytes.count >= 2, bytes[0] == binaryFormat else {
            if bytes.first == jsonFormat {
                // A read-only open (`conduit spool list`) does not migrate.
                throw StoreError.corrupted("\(R.self) record is JSON (format 1, schema 3 or older): start `conduit serve` once to migrate the store")
            }
            let format = bytes.first.map(String.init) ?? "none"
            throw StoreError.corrupted("\(R.self) record has format byte \(format), expected \(binaryFormat)")
        }
        let layout = bytes[1]
        guard layout >= 1, layout <= R.layoutVersion else {
            throw StoreError.corrupted("\(R.self) record has layout \(layout); this build reads 1...\(R.layoutVersion)")
        }
        var reader = RecordReader(bytes: bytes, start: 2, layout: layout)
        do throws(StoreError) {
            let record = try R.decode(from: &reader)
            guard reader.isAtEnd else { throw StoreError.corrupted("\(reader.remaining) bytes after the value") }
            return record
        } catch {
            guard case let .corrupted(what) = error else { throw error }
            throw StoreError.corrupted("\(R.self) record does not decode: \(what)")
        }
    }

    /// Key of a record id in its table.
    static func idKey(_ id: String) throws(StoreError) -> [UInt8] {
        try checkedKey(id)
    }

    /// Key of an index entry: unique indexes map the key to one id; the others
    /// append `NUL id` so each record has its own entry under a shared key.
    static func indexKey(_ key: String, id: String, unique: Bool) throws(StoreError) -> [UInt8] {
        let base = try checkedKey(key)
        return unique ? base : base + [0] + (try checkedKey(id))
    }

    static func checkedKey(_ string: String) throws(StoreError) -> [UInt8] {
        let bytes = Array(string.utf8)
        guard !bytes.isEmpty else { throw StoreError.invalidKey("empty key") }
        guard !bytes.contains(0) else { throw StoreError.invalidKey("key contains a NUL byte") }
        guard bytes.count <= 400 else { throw StoreError.invalidKey("key longer than 400 bytes") }
        return bytes
    }
}
