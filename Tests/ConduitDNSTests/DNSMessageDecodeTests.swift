import ConduitCore
import Testing
@testable import ConduitDNS

@Suite struct DNSMessageDecodeTests {
    @Test func compressedCNAMEChainWithEDNS() throws {
        // example.com CNAME www.example.com (compressed), www.example.com A 192.0.2.1.
        var packet = Wire.header(id: 0x1234, flags: 0x8180, qd: 1, an: 2, ar: 1)
        packet += Wire.question("example.com", type: 1)  // name at offset 12, record 1 at 29
        packet += Wire.rr(Wire.pointer(12), type: 5, ttl: 3600, rdata: [3] + Array("www".utf8) + Wire.pointer(12))
        packet += Wire.rr(Wire.pointer(41), type: 1, ttl: 300, rdata: [192, 0, 2, 1])  // www.example.com is at 41
        packet += Wire.opt()
        let message = try DNSMessage.decode(packet)
        #expect(message.id == 0x1234)
        #expect(message.isResponse && message.recursionDesired && message.recursionAvailable)
        #expect(!message.isTruncated && !message.isAuthoritative)
        #expect(message.rcode == 0)
        #expect(message.questions == [DNSQuestion(name: "example.com", type: 1)])
        #expect(message.answers == [
            DNSRecord(name: "example.com", type: 5, ttl: 3600, data: .cname("www.example.com")),
            DNSRecord(name: "www.example.com", type: 1, ttl: 300, data: .a(try #require(IPAddress("192.0.2.1")))),
        ])
        #expect(message.additional.isEmpty)
        #expect(message.edns == EDNS(udpPayloadSize: 1232))
    }

    @Test func aaaaMXAndPTR() throws {
        var packet = Wire.header(qd: 1, an: 3)
        packet += Wire.question("example.org", type: 15)
        let v6: [UInt8] = [0x20, 0x01, 0x0D, 0xB8] + [UInt8](repeating: 0, count: 11) + [1]
        packet += Wire.rr(Wire.pointer(12), type: 28, rdata: v6)
        packet += Wire.rr(Wire.pointer(12), type: 15, rdata: Wire.u16(10) + [2] + Array("mx".utf8) + Wire.pointer(12))
        packet += Wire.rr(Wire.name("1.2.0.192.in-addr.arpa"), type: 12, rdata: Wire.pointer(12))
        let answers = try DNSMessage.decode(packet).answers
        #expect(answers.map(\.data) == [
            .aaaa(try #require(IPAddress("2001:db8::1"))),
            .mx(preference: 10, exchange: "mx.example.org"),
            .ptr("example.org"),
        ])
        #expect(answers[2].name == "1.2.0.192.in-addr.arpa")
    }

    @Test func txtWithSeveralAndEmptyStrings() throws {
        var packet = Wire.header(qd: 1, an: 3)
        packet += Wire.question("example.net", type: 16)
        packet += Wire.rr(Wire.pointer(12), type: 16, rdata: Wire.strings(["v=spf1 ", "ip4:192.0.2.0/24", " -all"]))
        packet += Wire.rr(Wire.pointer(12), type: 16, rdata: Wire.strings(["", "x", ""]))
        packet += Wire.rr(Wire.pointer(12), type: 16, rdata: [])
        let answers = try DNSMessage.decode(packet).answers
        #expect(answers[0].data == .txt([Array("v=spf1 ".utf8), Array("ip4:192.0.2.0/24".utf8), Array(" -all".utf8)]))
        #expect(answers[0].data.txtText == "v=spf1 ip4:192.0.2.0/24 -all")
        #expect(answers[1].data == .txt([[], [0x78], []]))
        #expect(answers[2].data == .txt([]))
    }

    @Test func nameErrorWithSOAIsExpanded() throws {
        var packet = Wire.header(flags: 0x8183, qd: 1, ns: 1)
        packet += Wire.question("nope.example.com", type: 1)  // example.com at offset 17
        let soa = Wire.pointer(17) + [5] + Array("admin".utf8) + Wire.pointer(17) + Wire.u32(1) + Wire.u32(2) + Wire.u32(3) + Wire.u32(4) + Wire.u32(900)
        packet += Wire.rr(Wire.pointer(17), type: 6, ttl: 3600, rdata: soa)
        let message = try DNSMessage.decode(packet)
        #expect(message.rcode == DNSMessage.nameError)
        let expanded = Wire.name("example.com") + Wire.name("admin.example.com") + Wire.u32(1) + Wire.u32(2) + Wire.u32(3) + Wire.u32(4) + Wire.u32(900)
        #expect(message.authority == [DNSRecord(name: "example.com", type: 6, ttl: 3600, data: .other(type: 6, data: expanded))])
        #expect(DNSReplyOutcome.negativeCacheTTL(message) == 900)
    }

    @Test func unknownTypesAndOddBytesInNames() throws {
        var packet = Wire.header(qd: 1, an: 1)
        packet += [3, 0x61, 0x2E, 0xFF, 0] + Wire.u16(1) + Wire.u16(1)
        packet += Wire.rr(Wire.pointer(12), type: 65, rdata: [1, 2, 3])
        let message = try DNSMessage.decode(packet)
        #expect(message.questions[0].name == #"a\.\255"#)
        #expect(message.answers == [DNSRecord(name: #"a\.\255"#, type: 65, ttl: 300, data: .other(type: 65, data: [1, 2, 3]))])
    }

    @Test func trailingBytesAreIgnored() throws {
        let packet = Wire.header(qd: 1) + Wire.question("example.com", type: 1) + [0, 0, 0]
        #expect(try DNSMessage.decode(packet).questions.count == 1)
    }
}
