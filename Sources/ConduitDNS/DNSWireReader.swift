/// A cursor over a received packet. Every read is bounds-checked and throws
/// `DNSDecodeError` instead of trapping.
struct DNSWireReader {
    /// Compression pointers one name may follow; real names need a handful.
    static let maxPointers = 64

    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }

    mutating func readU8() throws(DNSDecodeError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func readU16() throws(DNSDecodeError) -> UInt16 {
        guard remaining >= 2 else { throw .truncated }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func readU32() throws(DNSDecodeError) -> UInt32 {
        let high = try readU16()
        return UInt32(high) << 16 | UInt32(try readU16())
    }

    mutating func readBytes(_ count: Int) throws(DNSDecodeError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .truncated }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Reads a possibly compressed name (RFC 1035 §4.1.4). Each pointer must
    /// point before the name's start and before every earlier pointer's
    /// target, so the walk strictly moves backwards and always ends; at most
    /// `maxPointers` jumps, and the name may not exceed 255 bytes.
    mutating func readName() throws(DNSDecodeError) -> DNSName {
        var labels: [[UInt8]] = []
        var wireLength = 1
        var position = offset
        var limit = offset
        var resumeAt: Int?
        var jumps = 0
        while true {
            guard position < bytes.count else { throw .truncated }
            let length = Int(bytes[position])
            switch length & 0xC0 {
            case 0x00:
                if length == 0 {
                    offset = resumeAt ?? position + 1
                    return DNSName(labels: labels)
                }
                guard position + 1 + length <= bytes.count else { throw .truncated }
                wireLength += 1 + length
                guard wireLength <= DNSName.maxWireLength else { throw .nameTooLong }
                labels.append(Array(bytes[position + 1..<position + 1 + length]))
                position += 1 + length
            case 0xC0:
                guard position + 1 < bytes.count else { throw .truncated }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                jumps += 1
                guard target < limit, jumps <= Self.maxPointers else { throw .badPointer }
                if resumeAt == nil { resumeAt = position + 2 }
                limit = target
                position = target
            default:
                throw .badLabel
            }
        }
    }
}
