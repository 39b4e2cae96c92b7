import Testing
@testable import ConduitMIME

/// RFC 2047 encoded words.
@Suite struct EncodedWordsTests {
    @Test func qAndB() {
        #expect(EncodedWords.decode("=?utf-8?q?J=C3=BCrgen_M=C3=BCller?=") == "Jürgen Müller")
        #expect(EncodedWords.decode("=?UTF-8?B?8J+Ygg==?=") == "😂")
        #expect(EncodedWords.decode("=?iso-8859-1?Q?Gr=FC=DFe?= and more") == "Grüße and more")
    }

    @Test func whitespaceBetweenWordsIsDropped() {
        #expect(EncodedWords.decode("=?utf-8?q?a?= =?utf-8?q?b?=") == "ab")
        #expect(EncodedWords.decode("=?utf-8?q?a?=\t =?iso-8859-1?q?b?=") == "ab")
        #expect(EncodedWords.decode("=?utf-8?q?a?= x =?utf-8?q?b?=") == "a x b")
        #expect(EncodedWords.decode("x =?utf-8?q?a?= y") == "x a y")
    }

    @Test func multiByteCharacterSplitAcrossWords() {
        // "ü" = C3 BC, cut between two words.
        #expect(EncodedWords.decode("=?utf-8?q?=C3?= =?utf-8?q?=BC?=") == "ü")
        #expect(EncodedWords.decode("=?utf-8?b?w4E=?= =?utf-8?b?w4E=?=") == "ÁÁ")
    }

    @Test func otherCharsets() {
        #expect(EncodedWords.decode("=?koi8-r?b?8NLJ18XU?=") == "Привет")
        #expect(EncodedWords.decode("=?shift_jis?b?k/qWe4zq?=") == "日本語")
        #expect(EncodedWords.decode("=?utf-8*en?q?lang?=") == "lang")
    }

    @Test func malformedWordsStay() {
        #expect(EncodedWords.decode("=?utf-8?x?abc?=") == "=?utf-8?x?abc?=")
        #expect(EncodedWords.decode("=?utf-8?q?unterminated") == "=?utf-8?q?unterminated")
        #expect(EncodedWords.decode("=??q?a?=") == "=??q?a?=")
        #expect(EncodedWords.decode("a =? b") == "a =? b")
    }

    @Test func unknownCharsetIsReadAsUTF8() {
        #expect(EncodedWords.decode("=?x-bogus?q?caf=C3=A9?=") == "café")
        #expect(EncodedWords.decode("=?x-bogus?q?x=FFy?=") == "x\u{FFFD}y")
    }
}
