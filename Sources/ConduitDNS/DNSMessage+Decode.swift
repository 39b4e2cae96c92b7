import ConduitCore

extension DNSMessage {
    /// Parses a message. Total on any input: every violation of the format
    /// (short reads, counts the packet cannot hold, looping or forward
    /// compression pointers, names over 255 bytes, RDATA that does not fit
    /// its type or length) throws, and nothing is allocated beyond what the
    /// packet's own size justifies. Bytes after the last record are ignored.
    public static func decode(_ bytes: [UInt8]) throws(DNSDecodeError) -> DNSMessage {
        var reader = DNSWireReader(bytes)
        let id = try reader.readU16()
        let flags = try reader.readU16()
        let counts = [try reader.readU16(), try reader.readU16(), try reader.readU16(), try reader.readU16()].map(Int.init)
        // The smallest question is 5 bytes (root name, type, class), the smallest RR 11.
        guard counts[0] * 5 + (counts[1] + counts[2] + counts[3]) * 11 <= reader.remaining else {
            throw .countsExceedPacket
        }
        var message = DNSMessage(
            id: id,
            isResponse: flags & 0x8000 != 0,
            opcode: UInt8((flags >> 11) & 0x0F),
            isAuthoritative: flags & 0x0400 != 0,
            isTruncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0,
            recursionAvailable: flags & 0x0080 != 0,
            rcode: flags & 0x000F
        )
        message.questions.reserveCapacity(counts[0])
        for _ in 0..<counts[0] {
            let name = try reader.readName()
            message.questions.append(DNSQuestion(name: name.description, type: try reader.readU16(), questionClass: try reader.readU16()))
        }
        message.answers = try readRecords(counts[1], &reader)
        message.authority = try readRecords(counts[2], &reader)
        for _ in 0..<counts[3] {
            let name = try reader.readName()
            let type = try reader.readU16()
            guard type == DNSRecordType.opt.rawValue else {
                message.additional.append(try readRecord(name: name, type: type, &reader))
                continue
            }
            guard message.edns == nil, name.labels.isEmpty else { throw .badOPT }
            let payloadSize = try reader.readU16()
            let extendedRCode = try reader.readU8()
            let version = try reader.readU8()
            let ednsFlags = try reader.readU16()
            let options = try reader.readBytes(Int(try reader.readU16()))
            message.rcode |= UInt16(extendedRCode) << 4
            message.edns = EDNS(udpPayloadSize: payloadSize, version: version, dnssecOK: ednsFlags & 0x8000 != 0, options: options)
        }
        return message
    }

    private static func readRecords(_ count: Int, _ reader: inout DNSWireReader) throws(DNSDecodeError) -> [DNSRecord] {
        var records: [DNSRecord] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            let name = try reader.readName()
            records.append(try readRecord(name: name, type: try reader.readU16(), &reader))
        }
        return records
    }

    /// The rest of a record after its name and type.
    private static func readRecord(name: DNSName, type: UInt16, _ reader: inout DNSWireReader) throws(DNSDecodeError) -> DNSRecord {
        let recordClass = try reader.readU16()
        let ttl = try reader.readU32()
        let length = Int(try reader.readU16())
        guard length <= reader.remaining else { throw .truncated }
        let end = reader.offset + length
        let data = try readData(type: type, end: end, &reader)
        guard reader.offset == end else { throw .badRecordData(type: type) }
        return DNSRecord(name: name.description, type: type, ttl: ttl, data: data, recordClass: recordClass)
    }

    /// RDATA from the reader's offset up to `end`; names inside may point
    /// anywhere earlier in the packet but must not run past `end`.
    private static func readData(type: UInt16, end: Int, _ reader: inout DNSWireReader) throws(DNSDecodeError) -> DNSRecordData {
        let length = end - reader.offset
        func name() throws(DNSDecodeError) -> DNSName {
            let name = try reader.readName()
            guard reader.offset <= end else { throw .badRecordData(type: type) }
            return name
        }
        switch DNSRecordType(rawValue: type) {
        case .a, .aaaa:
            guard length == (type == DNSRecordType.a.rawValue ? 4 : 16) else { throw .badRecordData(type: type) }
            // Length checked just above, so the address always builds.
            guard let address = IPAddress(bytes: try reader.readBytes(length)) else { throw .badRecordData(type: type) }
            return type == DNSRecordType.a.rawValue ? .a(address) : .aaaa(address)
        case .txt, .spf:
            var strings: [[UInt8]] = []
            while reader.offset < end {
                let count = Int(try reader.readU8())
                guard reader.offset + count <= end else { throw .badRecordData(type: type) }
                strings.append(try reader.readBytes(count))
            }
            return .txt(strings)
        case .mx:
            guard length >= 3 else { throw .badRecordData(type: type) }
            let preference = try reader.readU16()
            return .mx(preference: preference, exchange: try name().description)
        case .ptr:
            return .ptr(try name().description)
        case .cname:
            return .cname(try name().description)
        case .ns:
            return .other(type: type, data: try name().wire)
        case .soa:
            let primary = try name()
            let mailbox = try name()
            guard end - reader.offset == 20 else { throw .badRecordData(type: type) }
            return .other(type: type, data: primary.wire + mailbox.wire + (try reader.readBytes(20)))
        case .opt, nil:
            return .other(type: type, data: try reader.readBytes(length))
        }
    }
}
