import Testing
@testable import ConduitMIME

/// No byte vanishes in decoding: every undecodable byte sequence becomes
/// U+FFFD in place, the text around it is kept, and the parser records a
/// defect (docs/MIME.md, charsets).
@Suite struct ReplacementCharacterTests {
    private func decode(_ bytes: [UInt8], _ charset: String?) -> (String, Int) {
        var replacements = 0
        let text = Charset.decode(bytes, charset: charset, replacements: &replacements)
        return (text, replacements)
    }

    @Test func noCharsetAndInvalidUTF8() {
        // One U+FFFD per maximal invalid subpart, as String(decoding:as:):
        // E2 82 is a cut-off three-byte sequence (one), FF and C0 are each one.
        #expect(decode([0x61, 0xFF, 0x62, 0xE2, 0x82, 0x63, 0xC0, 0x64], nil) == ("a\u{FFFD}b\u{FFFD}c\u{FFFD}d", 3))
        #expect(decode([0x61, 0xFF, 0x62], "us-ascii") == ("a\u{FFFD}b", 1))
        #expect(decode(Array("caf\u{FFFD}é".utf8), nil) == ("caf\u{FFFD}é", 0))
    }

    @Test func declaredUTF8WithStrayByte() {
        #expect(decode([0x61, 0xFF, 0x62], "utf-8") == ("a\u{FFFD}b", 1))
        #expect(decode(Array("ok".utf8), "UTF-8") == ("ok", 0))
    }

    @Test func shiftJISInvalidSequence() {
        // 0x81 0x20: a lead byte without its trail byte; the space after it stays.
        #expect(decode([0x41, 0x81, 0x20, 0x42], "shift_jis") == ("A\u{FFFD} B", 1))
        #expect(decode([0x41, 0xA0, 0x93, 0xFA], "shift_jis") == ("A\u{FFFD}日", 1))
    }

    @Test func iso2022JPInvalidPair() {
        // ESC $ B "亜" 0x22 0x2F (unassigned) "亜" ESC ( B "Z"
        let bytes: [UInt8] = [0x41, 0x1B, 0x24, 0x42, 0x30, 0x21, 0x22, 0x2F, 0x30, 0x21, 0x1B, 0x28, 0x42, 0x5A]
        #expect(decode(bytes, "iso-2022-jp") == ("A亜\u{FFFD}\u{FFFD}亜Z", 2))
    }

    @Test func sequenceIconvTakesAsCutOffKeepsTheRest() {
        // GB18030 0x81 0x30 starts a four-byte sequence; with only three
        // bytes left iconv says "incomplete" (EINVAL). The "0B" after it
        // used to vanish.
        #expect(decode([0x41, 0x81, 0x30, 0x42], "gb18030") == ("A\u{FFFD}0B", 1))
        // Really cut off at the end: one U+FFFD.
        #expect(decode([0x41, 0x93], "shift_jis") == ("A\u{FFFD}", 1))
    }

    @Test func utf16ResynchronisesOnCodeUnits() {
        // A lone high surrogate: one U+FFFD, then "B" read on the right
        // boundary (skipping one byte read the rest misaligned).
        #expect(decode([0x41, 0x00, 0x00, 0xD8, 0x42, 0x00], "utf-16le") == ("A\u{FFFD}B", 1))
        #expect(decode([0x41, 0x00, 0x42], "utf-16le") == ("A\u{FFFD}", 1))
    }

    @Test func unknownCharset() {
        #expect(decode([0x63, 0xE9, 0x21], "x-no-such-charset") == ("c\u{FFFD}!", 1))
    }

    @Test func encodedWordWithInvalidBytes() {
        var replacements = 0
        #expect(EncodedWords.decode("=?utf-8?q?x=FFy?= z", replacements: &replacements) == "x\u{FFFD}y z")
        #expect(replacements == 1)
        #expect(EncodedWords.decode("=?shift_jis?q?A=81_B?=") == "A\u{FFFD} B")
        #expect(EncodedWords.decode("=?utf-8?b?Yf9i?=") == "a\u{FFFD}b")
        // Raw 8-bit text inside a word is not converted twice ("ï¿½").
        #expect(EncodedWords.decode("=?iso-8859-1?q?caf\u{FFFD}?=") == "=?iso-8859-1?q?caf\u{FFFD}?=")
    }

    @Test func quotedPrintableProducingInvalidBytes() {
        let message = MIMEParser.parse(Array("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 ok=\r\n!\r\n".utf8))
        #expect(message.text == "caf\u{FFFD} ok!\n")
        #expect(message.defects == ["text/plain part: 1 undecodable byte sequence replaced with U+FFFD"])
    }

    @Test func defectsNameThePartAndTheHeader() {
        let bytes: [UInt8] = Array("Subject: a".utf8) + [0xFF] + Array(" =?utf-8?q?=FE?=\r\nContent-Type: text/html\r\n\r\n<p>".utf8) + [0x80, 0x80] + Array("</p>\r\n".utf8)
        let message = MIMEParser.parse(bytes)
        #expect(message.subject == "a\u{FFFD} \u{FFFD}")
        #expect(message.html == "<p>\u{FFFD}\u{FFFD}</p>\n")
        #expect(message.defects == [
            "header Subject: 2 undecodable byte sequences replaced with U+FFFD",
            "text/html part: 2 undecodable byte sequences replaced with U+FFFD",
        ])
    }
}
