extension JSONValue {
    /// RFC 8259 text: compact, or indented by two spaces with `pretty`.
    /// Non-ASCII stays UTF-8; control characters, `"` and `\` are escaped.
    public func serialized(pretty: Bool = false) -> String {
        var out: [UInt8] = []
        write(to: &out, pretty: pretty, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// The compact serialization appended to `out` as UTF-8 (what
    /// `serialized()` returns, without going through `String`).
    func writeCompact(to out: inout [UInt8]) {
        write(to: &out, pretty: false, indent: 0)
    }

    private func write(to out: inout [UInt8], pretty: Bool, indent: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case let .bool(value): out.append(contentsOf: (value ? "true" : "false").utf8)
        case let .int(value): out.append(contentsOf: String(value).utf8)
        case let .string(value): Self.writeString(value, to: &out)
        case let .array(values):
            guard !values.isEmpty else { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(&out, pretty: pretty, indent: indent + 1)
                value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            Self.newline(&out, pretty: pretty, indent: indent)
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            guard !members.isEmpty else { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.newline(&out, pretty: pretty, indent: indent + 1)
                Self.writeString(key, to: &out)
                out.append(contentsOf: (pretty ? ": " : ":").utf8)
                value.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            Self.newline(&out, pretty: pretty, indent: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ out: inout [UInt8], pretty: Bool, indent: Int) {
        guard pretty else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `value` as a JSON string, escaped over its UTF-8 bytes: a Swift
    /// string's UTF-8 is always valid, and every byte that needs escaping is
    /// ASCII except U+2028/U+2029 (E2 80 A8/A9), so runs of plain bytes are
    /// copied whole.
    static func writeString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count + 1)
            var start = 0
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                let escape: (length: Int, text: StaticString?, control: UInt8?)
                switch byte {
                case UInt8(ascii: "\""): escape = (1, "\\\"", nil)
                case UInt8(ascii: "\\"): escape = (1, "\\\\", nil)
                case UInt8(ascii: "\n"): escape = (1, "\\n", nil)
                case UInt8(ascii: "\r"): escape = (1, "\\r", nil)
                case UInt8(ascii: "\t"): escape = (1, "\\t", nil)
                case 0x00..<0x20, 0x7F: escape = (1, nil, byte)
                case 0xE2 where index + 2 < count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                    escape = (3, bytes[index + 2] == 0xA8 ? "\\u2028" : "\\u2029", nil)
                default:
                    index += 1
                    continue
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                if let text = escape.text {
                    out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
                } else if let control = escape.control {
                    out.append(contentsOf: "\\u00".utf8)
                    out.append(hexDigits[Int(control >> 4)])
                    out.append(hexDigits[Int(control & 0xF)])
                }
                index += escape.length
                start = index
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<count]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
