import Foundation
import Testing
@testable import ConduitMIME

/// The parser reads plain text as bytes and keeps the Character reading
/// for the rest (issue 15): these cover where the two could part.
@Suite struct ByteFastPathTests {
    private func text(_ body: [UInt8], charset: String? = nil) -> String? {
        let type = charset.map { "Content-Type: text/plain; charset=\($0)\r\n" } ?? ""
        return MIMEParser.parse(Array("Subject: x\r\n\(type)\r\n".utf8) + body).text
    }

    @Test func textLineEnds() {
        #expect(text(Array("a\r\nb\rc\nd\r".utf8)) == "a\nb\nc\nd\n")
        // Every CR is a line end (docs/MIME.md): the first of "\r\r\n" too.
        // Before issue 15 a String pass left "\r\n" here.
        #expect(text(Array("x\r\r\ny".utf8)) == "x\n\ny")
        #expect(text(Array("x\r\r\r\ny".utf8)) == "x\n\n\ny")
        #expect(text(Array("é\r\n\u{301}\r".utf8), charset: "utf-8") == "é\n\u{301}\n")
        // Other charsets are converted first, then their line ends made LF.
        #expect(text([0x61, 0x00, 0x0D, 0x00, 0x0A, 0x00, 0x0D, 0x00, 0x62, 0x00], charset: "utf-16le") == "a\n\nb")
        #expect(text([0x63, 0x61, 0x66, 0xE9, 0x0D, 0x0A], charset: "iso-8859-1") == "café\n")
    }

    @Test func textReplacementsCountedAfterLineEnds() {
        let message = MIMEParser.parse(Array("Subject: x\r\n\r\n".utf8) + [0x61, 0xE2, 0x82, 0x0D, 0x0A, 0xFF, 0x0D])
        #expect(message.text == "a\u{FFFD}\n\u{FFFD}\n")
        #expect(message.defects == ["text/plain part: 2 undecodable byte sequences replaced with U+FFFD"])
    }

    @Test func headerLookupIgnoresCase() {
        let message = MIMEParser.parse(Array("SUBJECT: one\r\nsubject: two\r\nMeSSage-ID: <m@x>\r\nCONTENT-TYPE: TEXT/HTML\r\n\r\n<p>x".utf8))
        #expect(message.subject == "one")
        #expect(message.messageID == "<m@x>")
        #expect(message.html == "<p>x")
        #expect(message.text == nil)
    }

    @Test func trimming() {
        #expect("  a b \t\r\n".trimmingWhitespace() == "a b")
        #expect(" \r\n ".trimmingWhitespace() == "")
        #expect("x".trimmingWhitespace() == "x")
        // A combining mark makes a space part of another Character: kept.
        #expect(" \u{301}a ".trimmingWhitespace() == " \u{301}a")
        // A prepended mark does the same from the other side (U+0600).
        #expect("a\u{600} ".trimmingWhitespace() == "a\u{600} ")
        #expect("  é  ".trimmingWhitespace() == "é")
        #expect("\té\u{301}\t"[...].trimmingWhitespace() == "é\u{301}")
    }

    /// On ASCII the byte tokeniser gives the Character tokeniser's tokens.
    @Test func addressTokensAgree() {
        var generator = SeededRandom(seed: UInt64.random(in: 0...UInt64.max))
        let alphabet = Array(" \t\r\"\\()[]<>@,;:.abcXYZ019=?_-+'".utf8)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let text = String(decoding: bytes, as: UTF8.self)
            let fromBytes = bytes.withUnsafeBufferPointer { AddressList.tokenize($0) }
            #expect(fromBytes == AddressList.tokenize(Array(text)), "\(text.debugDescription)")
        }
    }

    @Test func addressesWithOtherCharacters() {
        #expect(AddressList.parse("Jürgen Groß <jg@example.de>, \"Zoë\" <z@x>") == [
            MailAddress(name: "Jürgen Groß", address: "jg@example.de"), MailAddress(name: "Zoë", address: "z@x"),
        ])
        // Non-ASCII text is read as Characters, where U+037E (Greek question
        // mark) is canonically ";" — as before.
        #expect(AddressList.parse("ü <a@x>\u{37E} b@y").map(\.address) == ["a@x", "b@y"])
        #expect(AddressList.parse("=?utf-8?q?J=C3=BCrgen?= <jg@example.de>") == [MailAddress(name: "Jürgen", address: "jg@example.de")])
    }

    @Test func encodedWordsNeedTheirStart() {
        #expect(EncodedWords.decode("plain = text ? no word") == "plain = text ? no word")
        #expect(EncodedWords.decode("=?utf-8?q?caf=C3=A9?= ok") == "café ok")
        // "?" with a combining mark is no word start (Characters), as before.
        #expect(EncodedWords.decode("=?\u{301}utf-8?q?x?=") == "=?\u{301}utf-8?q?x?=")
    }

    /// `rfc3339` is written digit by digit now: the same text as the
    /// interpolating formula before, years outside 0…9999 included.
    @Test func rfc3339AsBefore() {
        func reference(_ date: Date) -> String {
            let total = Int(date.timeIntervalSince1970.rounded(.down))
            let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
            let secondsOfDay = total - days * 86400
            let z = days + 719468
            let era = (z >= 0 ? z : z - 146096) / 146097
            let doe = z - era * 146097
            let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
            let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
            let mp = (5 * doy + 2) / 153
            let day = doy - (153 * mp + 2) / 5 + 1
            let month = mp < 10 ? mp + 3 : mp - 9
            let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
            func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
            let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
            return "\(yearText)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3600)):\(two(secondsOfDay / 60 % 60)):\(two(secondsOfDay % 60))Z"
        }
        var generator = SeededRandom(seed: 15)
        let fixed: [TimeInterval] = [0, -1, 1_796_540_400.9, -62_200_000_000, -62_135_596_800, 253_402_300_799, 253_402_300_800, 1e12]
        let random = (0..<2000).map { _ in TimeInterval(Int64.random(in: -100_000_000_000...100_000_000_000, using: &generator)) }
        for seconds in fixed + random {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(MailDate.rfc3339(date) == reference(date), "\(seconds)")
        }
    }
}
