import ConduitCore
import FoundationEssentials
import NIOCore

/// A response body written as JSON bytes into one array, for
/// the hot list routes (`GET /webhooks`, the delivery log): Foundation's
/// `JSONEncoder` builds a tree of boxed values and formats each date through
/// the ISO 8601 machinery, which cost more than the rest of such a request
/// (docs/PERFORMANCE.md, "REST (issue 15)"). An array, not a `ByteBuffer`:
/// the buffer's class storage costs an exclusivity check and a uniqueness
/// check per small write; the finished bytes are copied into one buffer once.
///
/// Values are written as `APIJSON.encoder` writes them: strings escaped the
/// same way (`"`, `\`, `/`, the C0 controls; `\b \t \n \f \r` by name, the
/// others as `\u00xx`; everything else as UTF-8), dates in RFC 3339 UTC with
/// whole seconds. Members come in the order written — the order of
/// openapi.json — where `JSONEncoder` used a hash order that changed from one
/// process to the next. Callers write a member's key, then its value; commas
/// are placed here.
struct JSONByteWriter {
    private(set) var bytes: [UInt8]
    /// A value was written at the current level, so the next member or
    /// element needs a comma first.
    private var needsComma = false

    init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// The bytes written, in a buffer for a response body.
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    mutating func beginObject() { beginValue(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    mutating func beginArray() { beginValue(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// A member's key: plain ASCII names that need no escaping.
    mutating func key(_ name: StaticString) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        Self.append(name, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    mutating func null() { beginValue(); Self.append("null", to: &bytes); needsComma = true }
    mutating func bool(_ value: Bool) { beginValue(); Self.append(value ? "true" : "false", to: &bytes); needsComma = true }

    mutating func int(_ value: Int) {
        beginValue()
        ASCIIDecimal.append(value, to: &bytes)
        needsComma = true
    }

    mutating func int(_ value: Int?) {
        guard let value else { return null() }
        int(value)
    }

    mutating func string(_ value: String) {
        beginValue()
        Self.writeEscaped(value, to: &bytes)
        needsComma = true
    }

    mutating func string(_ value: String?) {
        guard let value else { return null() }
        string(value)
    }

    /// RFC 3339 UTC with whole seconds (`2026-04-02T12:00:00Z`), fractions dropped like `.iso8601` does.
    mutating func date(_ value: Date) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        Self.writeRFC3339(value, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    mutating func date(_ value: Date?) {
        guard let value else { return null() }
        date(value)
    }

    /// An object of string values, in the dictionary's own order (the order
    /// `JSONEncoder` also takes).
    mutating func stringMap(_ map: [String: String]) {
        beginObject()
        for (name, value) in map {
            beginValue()
            Self.writeEscaped(name, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
            string(value)
        }
        endObject()
    }

    private mutating func beginValue() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    // MARK: Formatting

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `value` as a JSON string; runs of bytes that need no escape are copied whole.
    static func writeEscaped(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { text in
            var start = 0
            for index in 0..<text.count {
                let byte = text[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "/") else {
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<index]))
                out.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
                case 0x08: out.append(UInt8(ascii: "b"))
                case 0x09: out.append(UInt8(ascii: "t"))
                case 0x0A: out.append(UInt8(ascii: "n"))
                case 0x0C: out.append(UInt8(ascii: "f"))
                case 0x0D: out.append(UInt8(ascii: "r"))
                default:
                    append("u00", to: &out)
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0xF)])
                }
                start = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[start..<text.count]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// The bytes of an ASCII literal.
    static func append(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `yyyy-MM-ddTHH:mm:ssZ` from the seconds since 1970, by the civil-from-days
    /// arithmetic of the Gregorian calendar, for 1970 through 9999 (every date
    /// Conduit stores); others are left to Foundation, whose calendar turns
    /// Julian before 1582.
    static func writeRFC3339(_ date: Date, to bytes: inout [UInt8]) {
        let instant = date.timeIntervalSince1970.rounded(.down)
        guard instant >= 0, instant < 253_402_300_800 else {
            bytes.append(contentsOf: date.formatted(.iso8601).utf8)
            return
        }
        let seconds = Int(instant)
        let days = seconds / 86_400
        let secondOfDay = seconds % 86_400
        // Howard Hinnant's civil_from_days: eras of 400 years from 0000-03-01.
        let shifted = days + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // Two digits at a time from a table: the digits of a padded field by
        // division with a divisor known only at run time cost more than the
        // calendar arithmetic (docs/PERFORMANCE.md, "REST (issue 15)").
        writeTwoDigits(year / 100, to: &bytes)
        writeTwoDigits(year % 100, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        writeTwoDigits(month, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        writeTwoDigits(day, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        writeTwoDigits(secondOfDay / 3600, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        writeTwoDigits(secondOfDay / 60 % 60, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        writeTwoDigits(secondOfDay % 60, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// "00" through "99", two bytes each.
    private static let digitPairs: [UInt8] = (0..<100).flatMap { [UInt8(ascii: "0") + UInt8($0 / 10), UInt8(ascii: "0") + UInt8($0 % 10)] }

    /// `value` (0...99) as two digits.
    private static func writeTwoDigits(_ value: Int, to bytes: inout [UInt8]) {
        digitPairs.withUnsafeBufferPointer { pairs in
            bytes.append(pairs[2 * value])
            bytes.append(pairs[2 * value + 1])
        }
    }
}

/// A value that writes itself as a JSON response body with `JSONByteWriter`.
protocol JSONBytesEncodable {
    func write(to writer: inout JSONByteWriter)
}

extension Array: JSONBytesEncodable where Element: JSONBytesEncodable {
    func write(to writer: inout JSONByteWriter) {
        writer.beginArray()
        for element in self { element.write(to: &writer) }
        writer.endArray()
    }
}
