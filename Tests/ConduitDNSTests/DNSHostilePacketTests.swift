import Testing
@testable import ConduitDNS

/// Packets built to crash, hang or exhaust a decoder. Each must throw, fast:
/// a pointer loop or a blow-up would take far past the suite's time limit.
/// (No per-packet time bound: a 100 ms one failed whenever the scheduler
/// paused the thread on a loaded machine, and proved nothing a hang doesn't.)
@Suite(.timeLimit(.minutes(1))) struct DNSHostilePacketTests {
    private func expectRejected(_ packet: [UInt8], _ error: DNSDecodeError, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: error, sourceLocation: sourceLocation) { try DNSMessage.decode(packet) }
    }

    @Test func selfPointingName() {
        expectRejected(Wire.header() + Wire.pointer(12) + Wire.u16(1) + Wire.u16(1), .badPointer)
    }

    @Test func twoPointerCycle() {
        // The question's name points back into the ID field, which points back at the name.
        let packet = Wire.header(id: 0xC00C) + Wire.pointer(0) + Wire.u16(1) + Wire.u16(1)
        expectRejected(packet, .badPointer)
        // The same cycle between two answers' owners.
        var records = Wire.header(qd: 0, an: 2)
        records += Wire.rr([1, 0x61] + Wire.pointer(30), type: 1, rdata: [0, 0, 0, 0])  // offset 12, points forward to 30
        records += Wire.rr(Wire.pointer(12), type: 1, rdata: [0, 0, 0, 0])  // offset 30
        expectRejected(records, .badPointer)
    }

    @Test func forwardPointer() {
        expectRejected(Wire.header() + Wire.pointer(16) + Wire.u16(1) + Wire.u16(1) + Wire.name("x"), .badPointer)
    }

    @Test func pointerChainTooLong() {
        // 100 pointers each pointing at the previous one: strictly backwards, but too deep.
        var packet = Wire.header(qd: 0, an: 2)
        let rdataStart = 12 + 1 + 10  // after the header, a root owner and type/class/TTL/length
        var rdata: [UInt8] = [0]  // a root name at rdataStart, then the pointers
        for index in 0..<100 {
            rdata += Wire.pointer(rdataStart + (index == 0 ? 0 : 1 + (index - 1) * 2))
        }
        packet += Wire.rr([0], type: 65, rdata: rdata)
        packet += Wire.rr(Wire.pointer(rdataStart + 1 + 99 * 2), type: 1, rdata: [0, 0, 0, 0])
        expectRejected(packet, .badPointer)
    }

    @Test func truncatedHeader() {
        expectRejected([0x12, 0x34, 0x81, 0x80, 0x00], .truncated)
        expectRejected([], .truncated)
    }

    @Test func truncatedRecord() {
        let packet = Wire.header(an: 1) + Wire.question("a.example", type: 1) + Wire.pointer(12) + Wire.u16(1) + Wire.u16(1) + [0, 0]
        expectRejected(packet, .truncated)
        let full = Wire.header(an: 1) + Wire.question("a.example", type: 1) + Wire.rr(Wire.pointer(12), type: 1, rdata: [1, 2, 3, 4])
        for length in 12..<full.count {
            #expect(throws: DNSDecodeError.self) { try DNSMessage.decode(Array(full.prefix(length))) }
        }
    }

    @Test func rdlengthPastEnd() {
        let packet = Wire.header(an: 1) + Wire.question("a.example", type: 16) + Wire.pointer(12) + Wire.u16(16) + Wire.u16(1) + Wire.u32(0)
            + Wire.u16(100) + [3, 0x61, 0x62, 0x63]
        expectRejected(packet, .truncated)
    }

    @Test func countsThePacketCannotHold() {
        expectRejected(Wire.header(qd: 0xFFFF), .countsExceedPacket)
        expectRejected(Wire.header(qd: 0, an: 0xFFFF, ns: 0xFFFF, ar: 0xFFFF) + [UInt8](repeating: 0, count: 100), .countsExceedPacket)
    }

    @Test func labelLengthsOf64AndMore() {
        expectRejected(Wire.header() + [0x40] + [UInt8](repeating: 0x61, count: 64) + [0] + Wire.u16(1) + Wire.u16(1), .badLabel)
        expectRejected(Wire.header() + [0x80, 0x61, 0] + Wire.u16(1) + Wire.u16(1), .badLabel)
    }

    @Test func nameLongerThan255() {
        let label = [63] + [UInt8](repeating: 0x61, count: 63)
        expectRejected(Wire.header() + label + label + label + label + [0] + Wire.u16(1) + Wire.u16(1), .nameTooLong)
        // The same length reached through compression.
        var packet = Wire.header(qd: 2)
        packet += label + label + [0] + Wire.u16(1) + Wire.u16(1)  // 129-byte name at 12
        packet += label + label + Wire.pointer(12) + Wire.u16(1) + Wire.u16(1)
        expectRejected(packet, .nameTooLong)
    }

    @Test func txtStringPastRDATA() {
        let packet = Wire.header(an: 1) + Wire.question("a.example", type: 16) + Wire.rr(Wire.pointer(12), type: 16, rdata: [5, 0x61, 0x62])
            + [0x63, 0x64, 0x65]
        expectRejected(packet, .badRecordData(type: 16))
    }

    @Test func rdataThatDoesNotFitItsType() {
        let base = Wire.header(an: 1) + Wire.question("a.example", type: 1)
        expectRejected(base + Wire.rr(Wire.pointer(12), type: 1, rdata: [1, 2, 3, 4, 5]), .badRecordData(type: 1))
        expectRejected(base + Wire.rr(Wire.pointer(12), type: 28, rdata: [1, 2, 3, 4]), .badRecordData(type: 28))
        expectRejected(base + Wire.rr(Wire.pointer(12), type: 15, rdata: [0, 1]), .badRecordData(type: 15))
        // A CNAME whose name runs past its RDLENGTH into the next bytes.
        expectRejected(base + Wire.rr(Wire.pointer(12), type: 5, rdata: [1, 0x61]) + [0], .badRecordData(type: 5))
        // A name that ends before RDLENGTH does.
        expectRejected(base + Wire.rr(Wire.pointer(12), type: 12, rdata: [0, 0]), .badRecordData(type: 12))
        expectRejected(base + Wire.rr(Wire.pointer(12), type: 6, rdata: [0, 0, 1, 2]), .badRecordData(type: 6))
    }

    @Test func duplicateOrNamedOPT() {
        let base = Wire.header(qd: 1, ar: 2) + Wire.question("a.example", type: 1)
        expectRejected(base + Wire.opt() + Wire.opt(), .badOPT)
        let named = Wire.header(qd: 1, ar: 1) + Wire.question("a.example", type: 1) + Wire.pointer(12) + Array(Wire.opt().dropFirst())
        expectRejected(named, .badOPT)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(state: 0x5EED)
        var decoded = 0
        for _ in 0..<10_000 {
            let length = Int.random(in: 0...300, using: &generator)
            var packet = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Half the time, plausible counts so the decoder gets past the header.
            if length >= 12, Bool.random(using: &generator) {
                packet.replaceSubrange(4..<12, with: [0, 1, 0, UInt8.random(in: 0...4, using: &generator), 0, 0, 0, 0])
            }
            if let message = try? DNSMessage.decode(packet) {
                decoded += 1
                _ = try? message.encode()
            }
        }
        #expect(decoded >= 0)
    }

    @Test func mutatedRepliesNeverCrash() throws {
        var original = Wire.header(qd: 1, an: 4, ns: 1, ar: 1)
        original += Wire.question("example.com", type: 16)
        original += Wire.rr(Wire.pointer(12), type: 5, rdata: [3] + Array("www".utf8) + Wire.pointer(12))
        original += Wire.rr(Wire.pointer(41), type: 16, rdata: Wire.strings(["v=spf1 ", "", "-all"]))
        original += Wire.rr(Wire.pointer(41), type: 15, rdata: Wire.u16(5) + [2] + Array("mx".utf8) + Wire.pointer(41))
        original += Wire.rr(Wire.pointer(41), type: 28, rdata: [UInt8](repeating: 1, count: 16))
        original += Wire.rr(Wire.pointer(12), type: 6, rdata: Wire.pointer(12) + Wire.pointer(41) + [UInt8](repeating: 0, count: 20))
        original += Wire.opt()
        _ = try DNSMessage.decode(original)
        var generator = SplitMix64(state: 0xD15EA5E)
        for _ in 0..<10_000 {
            var packet = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let index = Int.random(in: 0..<packet.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: packet[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: packet[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 2: packet.removeSubrange(index...)
                default: packet.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                }
                if packet.isEmpty { break }
            }
            if let message = try? DNSMessage.decode(packet) { _ = try? message.encode() }
        }
    }
}
