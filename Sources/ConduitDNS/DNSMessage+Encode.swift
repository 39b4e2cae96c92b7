import ConduitCore

extension DNSMessage {
    /// The message in wire format, names uncompressed. Throws when a name or
    /// RDATA cannot be encoded.
    public func encode() throws(DNSEncodeError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        let additionalCount = additional.count + (edns == nil ? 0 : 1)
        guard questions.count <= 0xFFFF, answers.count <= 0xFFFF, authority.count <= 0xFFFF, additionalCount <= 0xFFFF else {
            throw .tooLarge
        }
        out.append(u16: id)
        var flags: UInt16 = UInt16(opcode & 0x0F) << 11 | (rcode & 0x0F)
        if isResponse { flags |= 0x8000 }
        if isAuthoritative { flags |= 0x0400 }
        if isTruncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        out.append(u16: flags)
        for count in [questions.count, answers.count, authority.count, additionalCount] {
            out.append(u16: UInt16(count))
        }
        for question in questions {
            out.append(contentsOf: try Self.wireName(question.name))
            out.append(u16: question.type)
            out.append(u16: question.questionClass)
        }
        for record in answers + authority + additional {
            try Self.append(record, to: &out)
        }
        if let edns {
            out.append(0)  // the root owns the OPT record
            out.append(u16: DNSRecordType.opt.rawValue)
            out.append(u16: edns.udpPayloadSize)
            out.append(UInt8(truncatingIfNeeded: rcode >> 4))
            out.append(edns.version)
            out.append(u16: edns.dnssecOK ? 0x8000 : 0)
            guard edns.options.count <= 0xFFFF else { throw .tooLarge }
            out.append(u16: UInt16(edns.options.count))
            out.append(contentsOf: edns.options)
        }
        return out
    }

    private static func append(_ record: DNSRecord, to out: inout [UInt8]) throws(DNSEncodeError) {
        out.append(contentsOf: try wireName(record.name))
        out.append(u16: record.type)
        out.append(u16: record.recordClass)
        out.append(u32: record.ttl)
        let rdata = try rdata(of: record)
        guard rdata.count <= 0xFFFF else { throw .tooLarge }
        out.append(u16: UInt16(rdata.count))
        out.append(contentsOf: rdata)
    }

    private static func rdata(of record: DNSRecord) throws(DNSEncodeError) -> [UInt8] {
        switch record.data {
        case let .a(address):
            guard address.bytes.count == 4 else { throw .badRecordData(type: record.type) }
            return address.bytes
        case let .aaaa(address):
            guard address.bytes.count == 16 else { throw .badRecordData(type: record.type) }
            return address.bytes
        case let .txt(strings):
            var out: [UInt8] = []
            for string in strings {
                guard string.count <= 255 else { throw .badRecordData(type: record.type) }
                out.append(UInt8(string.count))
                out.append(contentsOf: string)
            }
            return out
        case let .mx(preference, exchange):
            var out: [UInt8] = []
            out.append(u16: preference)
            out.append(contentsOf: try wireName(exchange))
            return out
        case let .ptr(name), let .cname(name):
            return try wireName(name)
        case let .other(_, data):
            return data
        }
    }

    private static func wireName(_ text: String) throws(DNSEncodeError) -> [UInt8] {
        guard let name = DNSName(text) else { throw .invalidName(text) }
        return name.wire
    }
}

extension [UInt8] {
    mutating func append(u16 value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(value & 0xFF))
    }

    mutating func append(u32 value: UInt32) {
        append(u16: UInt16(value >> 16))
        append(u16: UInt16(value & 0xFFFF))
    }
}
