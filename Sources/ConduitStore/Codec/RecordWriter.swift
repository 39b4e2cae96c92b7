public import FoundationEssentials

/// Appends the fields of one record value to a byte array (format 2).
///
/// Encodings: integers as LEB128 varints (signed ones zigzag-mapped first, so
/// small negative numbers stay short); strings as a varint byte count and
/// their UTF-8; booleans and presence flags as one byte 0 or 1; dates as the
/// 8 little-endian bytes of their `timeIntervalSinceReferenceDate` (the exact
/// `Date`, so a record reads back equal and index keys computed from a read
/// record match the ones computed when it was written); arrays and maps as
/// a varint count and their elements (maps sorted by key, so equal maps
/// encode to equal bytes).
public struct RecordWriter {
    public private(set) var bytes: [UInt8]

    /// A writer whose bytes start with the format byte and `layout`.
    init(format: UInt8, layout: UInt8, capacity: Int = 160) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(format)
        bytes.append(layout)
    }

    public mutating func write(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: rest))
    }

    public mutating func write(_ value: Int64) {
        write(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func write(_ value: Int) {
        write(Int64(value))
    }

    public mutating func write(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    public mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            write(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func write(_ value: Date) {
        let bits = value.timeIntervalSinceReferenceDate.bitPattern
        for shift in stride(from: 0, to: 64, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    /// One byte a `RecordReader.byte()` reads back, e.g. an enum case.
    public mutating func writeByte(_ value: UInt8) {
        bytes.append(value)
    }

    public mutating func write(_ value: some BinaryValue) {
        value.encode(to: &self)
    }

    // MARK: Optionals: a presence byte, then the value when present

    public mutating func write(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    public mutating func write(_ value: Int?) {
        write(value != nil)
        if let value { write(value) }
    }

    public mutating func write(_ value: Int64?) {
        write(value != nil)
        if let value { write(value) }
    }

    public mutating func write(_ value: Date?) {
        write(value != nil)
        if let value { write(value) }
    }

    public mutating func write<Value: BinaryValue>(_ value: Value?) {
        write(value != nil)
        if let value { value.encode(to: &self) }
    }

    // MARK: Collections: a count, then the elements

    public mutating func write(_ values: [String]) {
        write(UInt64(values.count))
        for value in values { write(value) }
    }

    public mutating func write(_ values: [Date]) {
        write(UInt64(values.count))
        for value in values { write(value) }
    }

    public mutating func write<Value: BinaryValue>(_ values: [Value]) {
        write(UInt64(values.count))
        for value in values { value.encode(to: &self) }
    }

    public mutating func write(_ map: [String: String]) {
        write(UInt64(map.count))
        for key in map.keys.sorted() {
            write(key)
            write(map[key] ?? "")
        }
    }
}
