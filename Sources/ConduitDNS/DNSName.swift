/// A domain name as its wire labels, and its presentation form (see `DNSRecord.name`).
struct DNSName: Hashable, Sendable, CustomStringConvertible {
    /// Longest name on the wire, length bytes and the root's zero included (RFC 1035 §2.3.4).
    static let maxWireLength = 255
    static let maxLabelLength = 63
    static let root = DNSName(labels: [])

    /// Labels from left to right, each 1–63 bytes; empty for the root.
    let labels: [[UInt8]]

    init(labels: [[UInt8]]) {
        self.labels = labels
    }

    /// Parses presentation form: labels separated by `.`, an optional trailing
    /// dot, `\DDD` and `\X` escapes. `nil` when the name cannot be encoded:
    /// an empty label, a label over 63 bytes, over 255 bytes on the wire, or
    /// a bad escape. `.` alone is the root.
    init?(_ text: String) {
        if text == "." {
            self = .root
            return
        }
        var labels: [[UInt8]] = []
        var label: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        guard !bytes.isEmpty else { return nil }
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "."):
                guard !label.isEmpty else { return nil }
                labels.append(label)
                label = []
            case UInt8(ascii: "\\"):
                guard let next = bytes.popFirst() else { return nil }
                if Self.isDigit(next) {
                    guard bytes.count >= 2, Self.isDigit(bytes[bytes.startIndex]), Self.isDigit(bytes[bytes.startIndex + 1]) else { return nil }
                    let value = Int(next - 0x30) * 100 + Int(bytes.removeFirst() - 0x30) * 10 + Int(bytes.removeFirst() - 0x30)
                    guard value <= 255 else { return nil }
                    label.append(UInt8(value))
                } else {
                    label.append(next)
                }
            default:
                label.append(byte)
            }
            guard label.count <= Self.maxLabelLength else { return nil }
        }
        if !label.isEmpty { labels.append(label) }
        let name = DNSName(labels: labels)
        guard !labels.isEmpty, name.wireLength <= Self.maxWireLength else { return nil }
        self = name
    }

    /// Bytes on the wire, uncompressed.
    var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

    /// ASCII letters lowercased: DNS compares names case-insensitively (RFC 4343).
    func lowercased() -> DNSName {
        DNSName(labels: labels.map { $0.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 } })
    }

    func equalsIgnoringCase(_ other: DNSName) -> Bool {
        lowercased() == other.lowercased()
    }

    /// The uncompressed wire form.
    var wire: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(wireLength)
        for label in labels {
            out.append(UInt8(label.count))
            out.append(contentsOf: label)
        }
        out.append(0)
        return out
    }

    /// Presentation form, no trailing dot; `.` for the root.
    var description: String {
        guard !labels.isEmpty else { return "." }
        var out = ""
        for (index, label) in labels.enumerated() {
            if index > 0 { out.append(".") }
            for byte in label {
                switch byte {
                case UInt8(ascii: "."), UInt8(ascii: "\\"):
                    out.append("\\")
                    out.append(Character(Unicode.Scalar(byte)))
                case 0x21...0x7E:
                    out.append(Character(Unicode.Scalar(byte)))
                default:
                    let digits = String(byte)
                    out.append("\\" + String(repeating: "0", count: 3 - digits.count) + digits)
                }
            }
        }
        return out
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
