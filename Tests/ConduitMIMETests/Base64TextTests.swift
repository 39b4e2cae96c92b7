import Foundation
import Testing
@testable import ConduitMIME

/// Canonical base64 copied as it is must be exactly what decoding it and
/// encoding the bytes again gives (the payload's `content_base64`), and
/// anything that would not round-trip so must not count as canonical.
@Suite struct Base64TextTests {
    /// What the payload wrote before the copy: decode leniently, encode standard.
    static func reencoded(_ input: [UInt8]) -> [UInt8] {
        var defects: [String] = []
        return Array(Data(TransferEncoding.base64(input, defects: &defects)).base64EncodedString().utf8)
    }

    static func copied(_ input: [UInt8], limit: Int) -> (size: Int?, text: [UInt8]) {
        input.withUnsafeBytes { buffer in
            let size = Base64Text.canonicalDecodedSize(buffer, range: 0..<buffer.count)
            var out: [UInt8] = []
            var position = 0
            var calls = 0
            while position < buffer.count {
                let before = out.count
                position = Base64Text.copy(buffer, from: position, to: buffer.count, limit: limit, into: &out)
                #expect(out.count - before <= limit)
                calls += 1
                precondition(calls < 1_000_000)
            }
            return (size, out)
        }
    }

    /// Mail's shape: standard base64 in lines of `width` ending in CRLF.
    static func folded(_ bytes: [UInt8], width: Int) -> [UInt8] {
        let text = Array(Data(bytes).base64EncodedString().utf8)
        var out: [UInt8] = []
        for start in stride(from: 0, to: text.count, by: width) {
            out += text[start..<min(text.count, start + width)] + [13, 10]
        }
        return out
    }

    @Test(arguments: [1, 3, 4, 76, 4096])
    func foldedBase64IsCanonicalAndCopiesToTheStandardText(limit: Int) {
        var random = SeededRandom(seed: UInt64(limit) &* 7919)
        for round in 0..<300 {
            let bytes = (0..<Int(random.next() % 400)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let input = Self.folded(bytes, width: [76, 64, 4, 5, 1000][round % 5])
            let (size, text) = Self.copied(input, limit: limit)
            #expect(size == bytes.count)
            #expect(text == Array(Data(bytes).base64EncodedString().utf8))
        }
    }

    @Test func notCanonical() {
        for text in [
            "QR==",         // pad bits set: decodes to "A", which encodes as QQ==
            "QUI=x",        // a character after the padding
            "QUJD\r\nQU",   // no padding: the encoder would add it
            "QU=J",         // `=` inside a group
            "Q===",         // three pads
            "QUJD!QUJD",    // outside the alphabet
            "QUJDQ",        // a lone character
            "=",
        ] {
            let input = Array(text.utf8)
            #expect(Self.copied(input, limit: 64).size == nil, "\(text)")
        }
    }

    @Test func canonicalEdges() {
        for (text, size) in [("", 0), ("\r\n", 0), ("QQ==", 1), ("QUI=\r\n", 2), ("QUJD", 3), (" QUJD\tQUJD \r\n", 6), ("QQ=\r\n=", 1)] {
            let input = Array(text.utf8)
            let (counted, copied) = Self.copied(input, limit: 2)
            #expect(counted == size, "\(text)")
            #expect(copied == Self.reencoded(input), "\(text)")
        }
    }

    /// Random text over the alphabet, `=` and blanks: whenever it counts as
    /// canonical, the copy is the lenient decode encoded again, and the size
    /// is the decoded length.
    @Test func canonicalMeansTheRoundTripIsTheCopy() {
        var random = SeededRandom(seed: UInt64.random(in: 0...UInt64.max))
        let alphabets: [[UInt8]] = [
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8),
            Array("AQgw+/=\r\n".utf8),
            Array("AEIMQUYcgkosw048==\r\n \t".utf8),
        ]
        var canonical = 0
        for round in 0..<3000 {
            let alphabet = alphabets[round % alphabets.count]
            let input = (0..<Int(random.next() % 40)).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }
            let (size, text) = Self.copied(input, limit: 1 + Int(random.next() % 9))
            guard let size else { continue }
            canonical += 1
            var defects: [String] = []
            #expect(size == TransferEncoding.base64(input, defects: &defects).count, "\(input)")
            #expect(text == Self.reencoded(input), "\(String(decoding: input, as: UTF8.self))")
        }
        #expect(canonical > 100)
    }

    @Test func theParserMarksOnlyCanonicalBase64() {
        let message = Array((
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
            + "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\nRA==\r\n"
            + "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD\r\nRA\r\n"
            + "--b\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: 7bit\r\n\r\nQUJD\r\n--b--\r\n"
        ).utf8)
        let parsed = message.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }
        #expect(parsed.attachments.map { $0.source?.isCanonicalBase64 } == [true, false, false])
        #expect(parsed.attachments.map(\.size) == [4, 4, 4])  // the CRLF before a boundary is the delimiter's
    }
}
