public import FoundationEssentials

/// Reads the fields `RecordWriter` wrote, in the same order.
///
/// Every read is bounds-checked: a value cut short, a varint longer than ten
/// bytes, a length or count larger than the bytes left, invalid UTF-8, a
/// non-finite date or a flag other than 0 or 1 throws `StoreError.corrupted`.
/// Nothing traps and nothing allocates more than the value's own size.
public struct RecordReader {
    /// The layout version the value was written with (`BinaryRecord.layoutVersion`).
    public let layout: UInt8
    private let bytes: [UInt8]
    private var position: Int

    /// Reads the body of `bytes`, which starts at `start` (after the format
    /// and layout bytes).
    init(bytes: [UInt8], start: Int, layout: UInt8) {
        self.bytes = bytes
        self.position = start
        self.layout = layout
    }

    /// Whether every byte was read.
    var isAtEnd: Bool { position == bytes.count }

    /// Bytes not read yet.
    var remaining: Int { bytes.count - position }

    public mutating func byte() throws(StoreError) -> UInt8 {
        guard position < bytes.count else { throw Self.truncated(position) }
        defer { position += 1 }
        return bytes[position]
    }

    public mutating func uint64() throws(StoreError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try byte()
            // The tenth byte holds bit 63 only.
            guard shift < 63 || byte <= 1 else { throw StoreError.corrupted("varint overflows 64 bits at byte \(position - 1)") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    public mutating func int64() throws(StoreError) -> Int64 {
        let zigzag = try uint64()
        return Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
    }

    public mutating func int() throws(StoreError) -> Int {
        let value = try int64()
        guard let narrowed = Int(exactly: value) else { throw StoreError.corrupted("integer \(value) does not fit this platform") }
        return narrowed
    }

    public mutating func bool() throws(StoreError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw StoreError.corrupted("flag byte \(other) at byte \(position - 1)")
        }
    }

    public mutating func string() throws(StoreError) -> String {
        let length = try count(minimumElementSize: 1)
        let start = position
        position += length
        // Validated straight from the array's storage (the generic slice path is several times slower).
        // ASCII (ids, addresses, URLs, timestamps: most fields) is valid UTF-8 as it is, and
        // `String(decoding:)` of a buffer skips `String(validating:)`'s generic validation, whose
        // type-metadata lookups cost more than the copy (docs/PERFORMANCE.md, "REST (issue 15)").
        let decoded = bytes.withUnsafeBufferPointer { buffer -> String? in
            let field = UnsafeBufferPointer(rebasing: buffer[start..<position])
            if field.allSatisfy({ $0 < 0x80 }) { return String(decoding: field, as: UTF8.self) }
            return String(validating: field, as: UTF8.self)
        }
        guard let string = decoded else {
            throw StoreError.corrupted("invalid UTF-8 at byte \(start)")
        }
        return string
    }

    public mutating func date() throws(StoreError) -> Date {
        guard remaining >= 8 else { throw Self.truncated(position) }
        var bits: UInt64 = 0
        for offset in 0..<8 {
            bits |= UInt64(bytes[position + offset]) << UInt64(offset * 8)
        }
        position += 8
        let interval = Double(bitPattern: bits)
        guard interval.isFinite else { throw StoreError.corrupted("date is not finite at byte \(position - 8)") }
        return Date(timeIntervalSinceReferenceDate: interval)
    }

    public mutating func value<Value: BinaryValue>(_ type: Value.Type) throws(StoreError) -> Value {
        try Value.decode(from: &self)
    }

    /// A count or length, checked against the bytes left: `count` elements
    /// of at least `minimumElementSize` bytes each must still fit.
    public mutating func count(minimumElementSize: Int) throws(StoreError) -> Int {
        let count = try uint64()
        guard count <= UInt64(remaining / max(1, minimumElementSize)) else {
            throw StoreError.corrupted("count \(count) exceeds the \(remaining) bytes left at byte \(position)")
        }
        return Int(count)
    }

    // MARK: Optionals

    public mutating func optionalString() throws(StoreError) -> String? {
        try bool() ? try string() : nil
    }

    public mutating func optionalInt() throws(StoreError) -> Int? {
        try bool() ? try int() : nil
    }

    public mutating func optionalInt64() throws(StoreError) -> Int64? {
        try bool() ? try int64() : nil
    }

    public mutating func optionalDate() throws(StoreError) -> Date? {
        try bool() ? try date() : nil
    }

    public mutating func optionalValue<Value: BinaryValue>(_ type: Value.Type) throws(StoreError) -> Value? {
        try bool() ? try Value.decode(from: &self) : nil
    }

    // MARK: Collections

    public mutating func strings() throws(StoreError) -> [String] {
        let count = try count(minimumElementSize: 1)
        var values: [String] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try string()) }
        return values
    }

    public mutating func dates() throws(StoreError) -> [Date] {
        let count = try count(minimumElementSize: 8)
        var values: [Date] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try date()) }
        return values
    }

    /// An array of `Value`s, each at least one byte long.
    public mutating func values<Value: BinaryValue>(_ type: Value.Type) throws(StoreError) -> [Value] {
        let count = try count(minimumElementSize: 1)
        var values: [Value] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try Value.decode(from: &self)) }
        return values
    }

    /// A map; a key that repeats is corruption (the writer writes each once).
    public mutating func stringMap() throws(StoreError) -> [String: String] {
        let count = try count(minimumElementSize: 2)
        // Most maps (a webhook's custom headers) are empty: reserving room
        // for none still looks up the dictionary's generic metadata.
        guard count > 0 else { return [:] }
        var map: [String: String] = [:]
        map.reserveCapacity(count)
        for _ in 0..<count {
            let key = try string()
            let value = try string()
            guard map.updateValue(value, forKey: key) == nil else { throw StoreError.corrupted("map key '\(key)' repeats") }
        }
        return map
    }

    static func truncated(_ position: Int) -> StoreError {
        .corrupted("value ends early at byte \(position)")
    }
}
