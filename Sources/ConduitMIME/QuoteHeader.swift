/// The lines that introduce a quoted message in replies and forwards.
/// Each test reads a trimmed line either as a `String` (any text) or as
/// ASCII bytes (`ReplyText`'s fast path); on ASCII both answer the same.
enum QuoteHeader {
    /// Attribution lines: the first word and the ending, per language
    /// (Gmail, Apple Mail, Thunderbird write these).
    /// The line starts with `start`, contains one of `verbs` and ends in `:`.
    private static let attributions: [(start: String, verbs: [String])] = [
        ("On ", [" wrote", " writes"]),
        ("Am ", [" schrieb ", " schrieb:", " geschrieben"]),
        ("Le ", [" a écrit"]),
        ("El ", [" escribió"]),
        ("Il ", [" ha scritto"]),
        ("Op ", [" geschreven", " schreef "]),
        ("Em ", [" escreveu"]),
    ]
    /// The ASCII ones as bytes (a verb with other letters cannot be in an ASCII line).
    private static let asciiAttributions: [(start: [UInt8], verbs: [[UInt8]])] = attributions.map { start, verbs in
        (Array(start.utf8), verbs.filter { $0.utf8.allSatisfy { $0 < 0x80 } }.map { Array($0.utf8) })
    }

    /// Field names that open an Outlook-style header block of the quoted
    /// message (English and a few common translations).
    static let fromNames = HeaderNames(["from:", "von:", "de:", "da:", "van:"])
    static let otherNames = HeaderNames(["sent:", "date:", "to:", "subject:", "cc:", "gesendet:", "an:", "betreff:", "envoyé :", "envoyé:", "objet :", "objet:", "à :", "enviado:", "para:", "asunto:"])

    static func isAttribution(_ line: String) -> Bool {
        line.hasSuffix(":") && attributions.contains { start, verbs in line.hasPrefix(start) && verbs.contains { line.contains($0) } }
            || (line.hasPrefix("<") == false && line.hasSuffix("wrote:") && line.contains("@"))
    }

    static func isAttribution(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.last == UInt8(ascii: ":") && asciiAttributions.contains { start, verbs in
            line.starts(with: start) && verbs.contains { ASCIIBytes.contains(line, $0) }
        }
            || (line.first != UInt8(ascii: "<") && ASCIIBytes.hasSuffix(line, "wrote:") && line.contains(UInt8(ascii: "@")))
    }

    static func startsAttribution(_ line: String) -> Bool {
        attributions.contains { line.hasPrefix($0.start) }
    }

    static func startsAttribution(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        asciiAttributions.contains { line.starts(with: $0.start) }
    }

    /// `-----Original Message-----`, `---------- Forwarded message ---------`,
    /// and Outlook's underscore rule.
    static func isSeparator(_ line: String) -> Bool {
        let lower = line.lowercased()
        if lower.hasPrefix("-----") && (lower.contains("original message") || lower.contains("forwarded message") || lower.contains("ursprüngliche nachricht")) {
            return true
        }
        return line.count >= 20 && line.allSatisfy { $0 == "_" }
    }

    static func isSeparator(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if line.starts(with: "-----".utf8)
            && (ASCIIBytes.containsIgnoringCase(line, "original message") || ASCIIBytes.containsIgnoringCase(line, "forwarded message")) {
            return true
        }
        return line.count >= 20 && line.allSatisfy { $0 == UInt8(ascii: "_") }
    }

    /// Whether the line, `*` removed and lower-cased, starts with one of `names`.
    static func namesHeader(_ line: String, in names: HeaderNames) -> Bool {
        let lower = line.replacing("*", with: "").lowercased()
        return names.strings.contains { lower.hasPrefix($0) }
    }

    static func namesHeader(_ line: UnsafeBufferPointer<UInt8>, in names: HeaderNames) -> Bool {
        names.ascii.contains { name in
            var index = 0
            for byte in line where byte != UInt8(ascii: "*") {
                guard index < name.count else { return true }
                guard ASCIIBytes.lowercased(byte) == name[index] else { return false }
                index += 1
            }
            return index == name.count
        }
    }

    /// Lower-case field names with their colon, as strings and (the ASCII ones) bytes.
    struct HeaderNames {
        let strings: [String]
        let ascii: [[UInt8]]

        init(_ strings: [String]) {
            self.strings = strings
            ascii = strings.filter { $0.utf8.allSatisfy { $0 < 0x80 } }.map { Array($0.utf8) }
        }
    }
}

/// Matching ASCII patterns in bytes.
enum ASCIIBytes {
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }

    static func hasSuffix(_ bytes: UnsafeBufferPointer<UInt8>, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        return bytes[(bytes.count - count)...].elementsEqual(UnsafeBufferPointer(start: suffix.utf8Start, count: count))
    }

    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ pattern: [UInt8]) -> Bool {
        guard let first = pattern.first, bytes.count >= pattern.count else { return pattern.isEmpty }
        var index = 0
        while index <= bytes.count - pattern.count {
            if bytes[index] == first, bytes[index..<index + pattern.count].elementsEqual(pattern) { return true }
            index += 1
        }
        return false
    }

    /// `pattern` (lower-case ASCII) in `bytes`, ASCII letters in any case.
    static func containsIgnoringCase(_ bytes: UnsafeBufferPointer<UInt8>, _ pattern: StaticString) -> Bool {
        let pattern = UnsafeBufferPointer(start: pattern.utf8Start, count: pattern.utf8CodeUnitCount)
        guard bytes.count >= pattern.count else { return false }
        var index = 0
        while index <= bytes.count - pattern.count {
            if bytes[index..<index + pattern.count].elementsEqual(pattern, by: { lowercased($0) == $1 }) { return true }
            index += 1
        }
        return false
    }
}
