import FoundationEssentials

/// How records are laid out as LMDB values: one format byte, then the body.
/// Format 1 is JSON, which keeps records readable with `mdb_dump` and lets
/// fields be added without a migration (absent optionals decode as nil).
enum RecordCodec {
    static let jsonFormat: UInt8 = 1

    static func encode<R: Encodable>(_ record: R) throws(StoreError) -> [UInt8] {
        do {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .millisecondsSince1970
            return [jsonFormat] + Array(try encoder.encode(record))
        } catch {
            throw StoreError.encoding("\(R.self): \(error)")
        }
    }

    static func decode<R: Decodable>(_ type: R.Type, from bytes: [UInt8]) throws(StoreError) -> R {
        guard bytes.first == jsonFormat else {
            throw StoreError.corrupted("\(R.self) record has unknown format byte \(bytes.first.map(String.init) ?? "none")")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            return try decoder.decode(R.self, from: Data(bytes.dropFirst()))
        } catch {
            throw StoreError.corrupted("\(R.self) record does not decode: \(error)")
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
