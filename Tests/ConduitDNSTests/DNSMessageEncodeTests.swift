import ConduitCore
import Testing
@testable import ConduitDNS

@Suite struct DNSMessageEncodeTests {
    @Test func queryBytesAreExact() throws {
        let bytes = try DNSMessage.query(id: 0xBEEF, name: "Example.com.", type: DNSRecordType.txt.rawValue).encode()
        let expected: [UInt8] = [
            0xBE, 0xEF, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // ID, RD, QD=1, AR=1
            7, 0x45, 0x78, 0x61, 0x6D, 0x70, 0x6C, 0x65, 3, 0x63, 0x6F, 0x6D, 0,  // Example.com
            0x00, 0x10, 0x00, 0x01,  // TXT IN
            0x00, 0x00, 0x29, 0x04, 0xD0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // OPT, 1232 bytes, no options
        ]
        #expect(bytes == expected)
    }

    @Test func replyRoundTrips() throws {
        let message = DNSMessage(
            id: 7, isResponse: true, isAuthoritative: true, recursionAvailable: true, rcode: 0,
            questions: [DNSQuestion(name: "example.com", type: 16)],
            answers: [
                DNSRecord(name: "example.com", type: 16, ttl: 60, data: .txt([Array("v=spf1 ".utf8), [], Array("-all".utf8)])),
                DNSRecord(name: "example.com", type: 99, ttl: 60, data: .txt([Array("v=spf1 -all".utf8)])),
                DNSRecord(name: "example.com", type: 1, ttl: 1, data: .a(try #require(IPAddress("192.0.2.1")))),
                DNSRecord(name: "example.com", type: 28, ttl: 2, data: .aaaa(try #require(IPAddress("2001:db8::1")))),
                DNSRecord(name: "example.com", type: 15, ttl: 3, data: .mx(preference: 10, exchange: "mx.example.com")),
                DNSRecord(name: "1.2.0.192.in-addr.arpa", type: 12, ttl: 4, data: .ptr("example.com")),
                DNSRecord(name: "www.example.com", type: 5, ttl: 5, data: .cname("example.com")),
                DNSRecord(name: "example.com", type: 257, ttl: 6, data: .other(type: 257, data: [0, 5, 0x69, 0x73, 0x73, 0x75, 0x65])),
            ],
            authority: [DNSRecord(name: "example.com", type: 2, ttl: 7, data: .other(type: 2, data: Wire.name("ns.example.com")))],
            additional: [DNSRecord(name: "ns.example.com", type: 1, ttl: 8, data: .a(try #require(IPAddress("192.0.2.53"))))],
            edns: EDNS(udpPayloadSize: 4096, dnssecOK: true, options: [0, 10, 0, 2, 1, 2])
        )
        #expect(try DNSMessage.decode(message.encode()) == message)
    }

    @Test func extendedRCodeTravelsInOPT() throws {
        let message = DNSMessage(id: 1, isResponse: true, rcode: 16, edns: EDNS(udpPayloadSize: 512))  // BADVERS
        let bytes = try message.encode()
        #expect(bytes[3] & 0x0F == 0)
        #expect(try DNSMessage.decode(bytes).rcode == 16)
    }

    @Test func refusesWhatCannotBeEncoded() throws {
        #expect(throws: DNSEncodeError.invalidName("a..b")) { try DNSMessage.query(id: 1, name: "a..b", type: 1).encode() }
        let longString = DNSRecord(name: "x", type: 16, ttl: 0, data: .txt([[UInt8](repeating: 0x61, count: 256)]))
        #expect(throws: DNSEncodeError.badRecordData(type: 16)) { try DNSMessage(id: 1, answers: [longString]).encode() }
        let wrongAddress = DNSRecord(name: "x", type: 1, ttl: 0, data: .a(try #require(IPAddress("::1"))))
        #expect(throws: DNSEncodeError.badRecordData(type: 1)) { try DNSMessage(id: 1, answers: [wrongAddress]).encode() }
    }

    @Test func txtTextJoinsStringsWithoutSeparator() {
        let data = DNSRecordData.txt([Array("v=DKIM1; k=ed25519; ".utf8), Array("p=abc".utf8), []])
        #expect(data.txtText == "v=DKIM1; k=ed25519; p=abc")
        #expect(DNSRecordData.txt([[0x61, 0xFF, 0x62]]).txtText == "a\u{FFFD}b")
        #expect(DNSRecordData.txt([]).txtText == "")
        #expect(DNSRecordData.cname("x").txtText == nil)
    }
}
