import FoundationEssentials

/// Format 1, the JSON records of schema versions 1 to 3, kept only to
/// rewrite them: the schema-4 migration (and the older migrations, which
/// read records before it runs) call `WriteTransaction.convertLegacyRecords`.
/// Nothing else reads JSON from the store.
enum LegacyRecordFormat {
    static let jsonFormat = RecordCodec.jsonFormat

    /// Values converted per pass over a table: each pass holds at most this
    /// many re-encoded values in memory before writing them.
    static let batchSize = 512

    static func decode<R: StoreRecord>(_ type: R.Type, from bytes: [UInt8]) throws(StoreError) -> R {
        guard bytes.first == jsonFormat else {
            throw StoreError.corrupted("\(R.self) record has format byte \(bytes.first.map(String.init) ?? "none"), expected JSON (1)")
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .millisecondsSince1970
            return try decoder.decode(R.self, from: Data(bytes.dropFirst()))
        } catch {
            throw StoreError.corrupted("\(R.self) format-1 record does not decode: \(error)")
        }
    }
}

extension WriteTransaction {
    /// Rewrites every format-1 (JSON) value in the tables of `types` in the
    /// binary format 2, in place: same keys, so indexes stay as they are.
    /// Values already in format 2 are left alone, so running it again is a
    /// no-op. Returns how many values were rewritten.
    @discardableResult
    public func convertLegacyRecords(_ types: [any StoreRecord.Type]) throws -> Int {
        var converted = 0
        for type in types {
            converted += try type.convertLegacyValues(raw)
        }
        return converted
    }
}

extension StoreRecord {
    static func convertLegacyValues(_ raw: RawTransaction) throws -> Int {
        var converted = 0
        var after: [UInt8]?
        while true {
            var rewritten: [(key: [UInt8], value: [UInt8])] = []
            var visited = 0
            var last: [UInt8]?
            try raw.scan(tableName, after: after) { key, value in
                visited += 1
                last = key
                if value.first == LegacyRecordFormat.jsonFormat {
                    let record = try LegacyRecordFormat.decode(Self.self, from: value)
                    rewritten.append((key, RecordCodec.encode(record)))
                }
                return visited < LegacyRecordFormat.batchSize
            }
            // Written after the scan: no cursor is open on the table.
            for entry in rewritten {
                try raw.put(tableName, key: entry.key, value: entry.value)
            }
            converted += rewritten.count
            guard visited == LegacyRecordFormat.batchSize, let last else { return converted }
            after = last
        }
    }
}
