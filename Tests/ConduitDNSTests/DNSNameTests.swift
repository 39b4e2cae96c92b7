import Testing
@testable import ConduitDNS

@Suite struct DNSNameTests {
    @Test func parsesAndPrints() throws {
        let name = try #require(DNSName("Mail.Example.COM."))
        #expect(name.labels.map { String(decoding: $0, as: UTF8.self) } == ["Mail", "Example", "COM"])
        #expect(name.description == "Mail.Example.COM")
        #expect(name.lowercased().description == "mail.example.com")
        #expect(name.equalsIgnoringCase(try #require(DNSName("mail.example.com"))))
        #expect(name.wire == Wire.name("Mail.Example.COM"))
        #expect(DNSName(".") == .root)
        #expect(DNSName.root.description == ".")
    }

    @Test func escapesRoundTrip() throws {
        let name = try #require(DNSName(#"a\.b.c\\d.\255\032x"#))
        #expect(name.labels == [Array("a.b".utf8), Array(#"c\d"#.utf8), [255, 32, UInt8(ascii: "x")]])
        #expect(name.description == #"a\.b.c\\d.\255\032x"#)
        #expect(DNSName(name.description) == name)
    }

    @Test(arguments: [
        "", "..", ".example.com", "a..b", "example.com..",
        String(repeating: "a", count: 64) + ".com",
        Array(repeating: String(repeating: "a", count: 63), count: 4).joined(separator: "."),
        #"bad\"#, #"bad\25"#, #"bad\256"#,
    ])
    func rejectsNamesThatCannotBeEncoded(_ text: String) {
        #expect(DNSName(text) == nil)
    }

    @Test func longestNamesFit() throws {
        // 3 × 64 + 62 + 1 + 1 = 255 bytes on the wire.
        let text = Array(repeating: String(repeating: "a", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61)
        let name = try #require(DNSName(text))
        #expect(name.wireLength == 255)
        #expect(DNSName(text + "b") == nil)
    }
}
