/// RFC 2047 encoded words (`=?charset?Q|B?text?=`) in header text.
/// Whitespace between two encoded words is dropped (§6.2), and adjacent
/// words in the same charset are joined as bytes before conversion, so a
/// multi-byte character split across two words survives. A malformed
/// word (also one with 8-bit bytes in its encoded text, which RFC 2047
/// keeps ASCII) is left as it is; bytes a word's charset cannot decode
/// become U+FFFD.
enum EncodedWords {
    private enum Piece {
        case text(Substring)
        case word(charset: String, bytes: [UInt8])
    }

    /// `text` with its encoded words decoded.
    static func decode(_ text: String) -> String {
        var replacements = 0
        return decode(text, replacements: &replacements)
    }

    /// `text` with its encoded words decoded; adds to `replacements` the
    /// number of U+FFFD put in for undecodable bytes inside words.
    static func decode(_ text: String, replacements: inout Int) -> String {
        // Most header text has no word: ruling that out on the bytes is exact,
        // since the Characters "=" "?" are those bytes (the search below
        // reads Characters, so a "?" with a combining mark is no word start).
        guard hasWordStart(text.utf8) else { return text }
        var pieces: [Piece] = []
        var rest = text[...]
        while let start = rest.firstRange(of: "=?") {
            if let (charset, bytes, after) = word(in: rest[start.lowerBound...]) {
                if start.lowerBound > rest.startIndex { pieces.append(.text(rest[..<start.lowerBound])) }
                pieces.append(.word(charset: charset, bytes: bytes))
                rest = rest[after...]
            } else {
                pieces.append(.text(rest[..<start.upperBound]))
                rest = rest[start.upperBound...]
            }
        }
        if !rest.isEmpty { pieces.append(.text(rest)) }

        var out = ""
        var pendingCharset: String?
        var pendingBytes: [UInt8] = []
        func flush() {
            if let charset = pendingCharset { out += Charset.decode(pendingBytes, charset: charset, replacements: &replacements) }
            pendingCharset = nil
            pendingBytes = []
        }
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case let .text(text):
                let betweenWords = index > 0 && index + 1 < pieces.count && text.allSatisfy { $0 == " " || $0 == "\t" }
                    && { if case .word = pieces[index - 1], case .word = pieces[index + 1] { return true } else { return false } }()
                if betweenWords { continue }
                flush()
                out += text
            case let .word(charset, bytes):
                if let pending = pendingCharset, pending != charset { flush() }
                pendingCharset = charset
                pendingBytes += bytes
            }
        }
        flush()
        return out
    }

    /// The encoded word at the start of `text`: its charset (lower case,
    /// RFC 2231 language dropped), decoded bytes and where it ends.
    private static func word(in text: Substring) -> (String, [UInt8], String.Index)? {
        // Words have no blanks and are short (75 by the RFC; mailers exceed
        // that a little): looking no further keeps malformed input linear.
        let window = text.prefix(maxWordLength).prefix(while: { $0 != " " && $0 != "\t" })
        let body = window.dropFirst(2)
        guard let q1 = body.firstIndex(of: "?") else { return nil }
        let charset = body[..<q1]
        let afterCharset = body[body.index(after: q1)...]
        guard let q2 = afterCharset.firstIndex(of: "?"), afterCharset.distance(from: afterCharset.startIndex, to: q2) == 1 else { return nil }
        let encoding = afterCharset[afterCharset.startIndex]
        let payload = afterCharset[afterCharset.index(after: q2)...]
        guard let end = payload.firstRange(of: "?=") else { return nil }
        let encoded = payload[..<end.lowerBound]
        guard !charset.isEmpty, !charset.contains(where: { $0 == " " || $0 == "\t" }),
              !encoded.contains(where: { $0 == " " || $0 == "\t" || $0 == "?" }),
              // Raw 8-bit text here already became U+FFFD or UTF-8 when the
              // field was read; converting that again from the word's charset
              // would garble it ("ï¿½"), so the word stays as written.
              encoded.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        let name = String(charset.split(separator: "*", maxSplits: 1).first ?? charset).lowercased()
        var ignored: [String] = []
        switch encoding {
        case "B", "b":
            return (name, TransferEncoding.base64(Array(encoded.utf8), defects: &ignored), end.upperBound)
        case "Q", "q":
            return (name, qDecode(Array(encoded.utf8)), end.upperBound)
        default:
            return nil
        }
    }

    static let maxWordLength = 256

    private static func hasWordStart(_ bytes: String.UTF8View) -> Bool {
        var previous: UInt8 = 0
        for byte in bytes {
            if previous == UInt8(ascii: "="), byte == UInt8(ascii: "?") { return true }
            previous = byte
        }
        return false
    }

    /// The "Q" encoding: `_` is a space, `=XX` a byte.
    static func qDecode(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "_") {
                out.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "="), index + 2 < bytes.count,
                      let high = TransferEncoding.hex(bytes[index + 1]), let low = TransferEncoding.hex(bytes[index + 2]) {
                out.append(high << 4 | low)
                index += 2
            } else {
                out.append(byte)
            }
            index += 1
        }
        return out
    }
}
