@testable import ConduitPolicy
import Testing

/// Header splitting, canonicalization (RFC 6376 §3.4) and tag lists (§3.2).
@Suite struct DKIMCanonicalizationTests {
    /// RFC 6376 §3.4.6, written out with its <SP>, <HTAB> and <CRLF>.
    static let example = Array("A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n".utf8)

    static func headers(_ canonicalization: DKIMCanonicalization, _ message: DKIMMessage) -> String {
        String(decoding: message.fields.flatMap { canonicalization.header($0.raw, colon: $0.colon) }, as: UTF8.self)
    }

    @Test func rfc6376Example() {
        let message = DKIMMessage(Self.example)
        #expect(message.malformation == nil)
        #expect(message.fields.map(\.name) == ["a", "b"])
        #expect(Self.headers(.relaxed, message) == "a:X\r\nb:Y Z\r\n")
        #expect(Self.headers(.simple, message) == "A: X\r\nB : Y\t\r\n\tZ  \r\n")
        #expect(String(decoding: DKIMCanonicalization.relaxed.body(message.body), as: UTF8.self) == " C\r\nD E\r\n")
        #expect(String(decoding: DKIMCanonicalization.simple.body(message.body), as: UTF8.self) == " C \r\nD \t E\r\n")
    }

    @Test func emptyAndUnterminatedBodies() {
        func body(_ c: DKIMCanonicalization, _ text: String) -> String {
            String(decoding: c.body(Array(text.utf8)[...]), as: UTF8.self)
        }
        #expect(body(.simple, "") == "\r\n")
        #expect(body(.relaxed, "") == "")
        #expect(body(.simple, "\r\n\r\n\r\n") == "\r\n")
        #expect(body(.relaxed, " \r\n\t\r\n") == "")
        #expect(body(.simple, "text") == "text\r\n")
        #expect(body(.relaxed, "text  ") == "text \r\n")
        #expect(body(.relaxed, "a \r b\r\n") == "a \r b\r\n")
        #expect(body(.simple, "a\r\n\r\nb\r\n\r\n") == "a\r\n\r\nb\r\n")
    }

    @Test func headerSplitting() {
        let message = DKIMMessage(Array("Subject: one\n two\nX-Empty:\nTo : bob\n\nbody\n".utf8))
        #expect(message.bytes == Array("Subject: one\r\n two\r\nX-Empty:\r\nTo : bob\r\n\r\nbody\r\n".utf8))
        #expect(message.fields.map(\.name) == ["subject", "x-empty", "to"])
        #expect(String(decoding: message.fields[0].raw, as: UTF8.self) == "Subject: one\r\n two\r\n")
        #expect(String(decoding: message.body, as: UTF8.self) == "body\r\n")
        #expect(Self.headers(.relaxed, message) == "subject:one two\r\nx-empty:\r\nto:bob\r\n")
        #expect(DKIMMessage(Array("no colon\r\n\r\n".utf8)).malformation != nil)
        #expect(DKIMMessage(Array(" continued\r\nA: b\r\n\r\n".utf8)).malformation != nil)
        #expect(DKIMMessage(Array("Bad Name: x\r\n\r\n".utf8)).malformation != nil)
        let headersOnly = DKIMMessage(Array("A: b\r\nC: d".utf8))
        #expect(headersOnly.fields.count == 2 && headersOnly.body.isEmpty)
        #expect(Self.headers(.simple, headersOnly) == "A: b\r\nC: d\r\n")
    }

    @Test func tagLists() throws {
        let tags = try DKIMTagList(parsing: Array(" v=1;\r\n\ta = rsa-sha256 ; h=from : to;\r\n b=ab\r\n cd ;".utf8)[...])
        #expect(tags["v"] == "1")
        #expect(tags["a"] == "rsa-sha256")
        #expect(tags["h"] == "from : to")
        #expect(tags["b"] == "ab\r\n cd")
        #expect(tags["x"] == nil)
        #expect(DKIMTagList.colonList(tags["h"]!) == ["from", "to"])
        #expect(DKIMTagList.base64Decoded("QU\r\n JD") == Array("ABC".utf8))
        #expect(try DKIMTagList(parsing: Array("".utf8)[...])["v"] == nil)
        #expect(try DKIMTagList(parsing: Array("p=".utf8)[...])["p"] == "")
        #expect(try DKIMTagList(parsing: Array("d=bücher.example".utf8)[...])["d"] == "bücher.example")
        for bad in ["v=1;;a=2", ";", "v", "=1", "1v=1", "v-x=1", "v=1; v=1", "v=a\u{0}b", "v=\u{7F}"] {
            #expect(throws: DKIMTagList.SyntaxError.self, "\(bad)") { try DKIMTagList(parsing: Array(bad.utf8)[...]) }
        }
    }

    @Test func signatureValueRangeCoversTheBValueOnly() throws {
        let text = Array("v=1; b= abc\r\n def ; bh=xyz".utf8)
        let tags = try DKIMTagList(parsing: text[...])
        let range = try #require(tags.tag("b")?.valueRange)
        #expect(String(decoding: text[..<range.lowerBound] + text[range.upperBound...], as: UTF8.self) == "v=1; b= ; bh=xyz")
    }

    @Test func strictBase64() {
        #expect(DKIMBase64.decode(Array("TWFu".utf8)) == Array("Man".utf8))
        #expect(DKIMBase64.decode(Array("TWE=".utf8)) == Array("Ma".utf8))
        #expect(DKIMBase64.decode(Array("TQ==".utf8)) == Array("M".utf8))
        #expect(DKIMBase64.decode([]) == [])
        for bad in ["TWE", "T===", "TQ=a", "TQ==TWFu", "TW-u", "TWF\u{80}"] {
            #expect(DKIMBase64.decode(Array(bad.utf8)) == nil, "\(bad)")
        }
    }
}
