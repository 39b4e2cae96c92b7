import Testing
@testable import ConduitMIME

/// Charset conversion through glibc's iconv.
@Suite struct CharsetTests {
    @Test func singleByteCharsets() {
        #expect(Charset.decode([0x47, 0x72, 0xFC, 0xDF, 0x65], charset: "ISO-8859-1") == "Grüße")
        #expect(Charset.decode([0x80, 0x20, 0x93, 0x71, 0x94], charset: "windows-1252") == "€ “q”")
        #expect(Charset.decode([0xF0, 0xD2, 0xC9, 0xD7, 0xC5, 0xD4], charset: "koi8-r") == "Привет")
        #expect(Charset.decode([0xA4], charset: "iso-8859-15") == "€")
    }

    @Test func multiByteCharsets() {
        #expect(Charset.decode([0x93, 0xFA, 0x96, 0x7B, 0x8C, 0xEA], charset: "Shift_JIS") == "日本語")
        #expect(Charset.decode([0xC4, 0xE3, 0xBA, 0xC3], charset: "gb2312") == "你好")
        // ISO-2022-JP: ESC $ B "日本" ESC ( B
        #expect(Charset.decode([0x1B, 0x24, 0x42, 0x46, 0x7C, 0x4B, 0x5C, 0x1B, 0x28, 0x42], charset: "iso-2022-jp") == "日本")
        #expect(Charset.decode([0xB0, 0xA1], charset: "ks_c_5601-1987") == "가")
    }

    @Test func invalidBytesBecomeReplacements() {
        // 0x81 0x20 is not Shift_JIS; conversion resumes after the bad byte.
        #expect(Charset.decode([0x41, 0x81, 0x20, 0x42], charset: "shift_jis").hasPrefix("A\u{FFFD}"))
        #expect(Charset.decode([0x41, 0x93], charset: "shift_jis") == "A\u{FFFD}")
        #expect(Charset.decode([0x61, 0xFF], charset: "utf-8") == "a\u{FFFD}")
    }

    @Test func unknownCharsetIsUTF8WithReplacement() {
        #expect(Charset.decode(Array("café".utf8), charset: "x-no-such-charset") == "café")
        #expect(Charset.decode([0x63, 0xE9], charset: "x-no-such-charset") == "c\u{FFFD}")
        #expect(!Charset.isKnown("x-no-such-charset"))
        #expect(Charset.isKnown("koi8-r"))
    }

    @Test func asciiLabelledUTF8() {
        #expect(Charset.decode(Array("naïve".utf8), charset: "us-ascii") == "naïve")
        #expect(Charset.decode(Array("plain".utf8), charset: nil) == "plain")
    }
}
