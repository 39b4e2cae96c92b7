import ConduitMIME
import Foundation
import Testing

/// `ReplyText` reads lines as bytes (ASCII) or as Strings (anything else).
/// These hold it to the Character-by-Character reading it replaced, kept
/// here as the reference, on texts made of the lines that matter: quotes,
/// attributions, separators, header blocks, signatures, blanks, non-ASCII
/// and combining marks next to the characters the rules look at.
@Suite struct ReplyTextReferenceTests {
    static let fragments = [
        "Sounds good.", "", " ", "\t", "> quoted", "  > indented quote", ">", "-- ", "--", "--  ",
        "On Mon, 3 Mar 2025 at 14:15, Jane Doe <jane@example.com> wrote:", "On Mon, 3 Mar 2025, Jane Doe",
        "<jane@example.com> wrote:", "jane@example.com wrote:", "<x@y> wrote:", "Am 03.03.2025 um 14:15 schrieb Jane:",
        "Le lun. 3 mars 2025, Jane <j@example.com> a écrit :", "Le lun. 3 mars 2025, Jane <j@example.com> a e\u{301}crit :",
        "El lun, Jane escribió:", "Il giorno lun, Jane ha scritto:", "Op ma, Jane schreef :", "Em seg, Jane escreveu:",
        "-----Original Message-----", "----- ORIGINAL MESSAGE -----", "-----Ursprüngliche Nachricht-----",
        "---------- Forwarded message ---------", String(repeating: "_", count: 32), String(repeating: "_", count: 19),
        "From: Jane", "*From:* Jane", " From: Jane", "FROM: x", "Von: Jane", "De : Jane", "De: Jane", "Sent: Monday",
        "*Sent:* Monday", "Envoyé : lundi", "ENVOYÉ: lundi", "Objet : x", "À : Bob", "To: Bob", "Subject: Lunch", "Date: now",
        "café", "naïve line", " \u{301}combining after a space", "x\u{600} ", "\u{600} leading prepend", ">\u{301} not a quote",
        "-\u{301}- ", "On \u{301}x wrote:", "Ｏn full-width", "日本語のテキスト", "😀 emoji", "\u{2028}", "Ja.",
        "Am Mo., 3. März 2025 um 14:15 Uhr schrieb Jane Doe <", "jane@example.com>:",
    ]

    @Test func matchesTheCharacterReading() {
        var generator = SeededRandom(seed: UInt64.random(in: 0...UInt64.max))
        let seed = generator.next()
        generator = SeededRandom(seed: seed)
        for round in 0..<3000 {
            let lines = (0..<Int.random(in: 0...8, using: &generator)).map { _ in Self.fragments.randomElement(using: &generator)! }
            let lineEnd = Bool.random(using: &generator) ? "\n" : "\r\n"
            let text = lines.joined(separator: lineEnd) + (Bool.random(using: &generator) ? lineEnd : "")
            #expect(ReplyText.extract(text) == Reference.extract(text), "seed \(seed), round \(round): \(text.debugDescription)")
        }
    }

    @Test func combiningMarksAndCanonicalEquivalence() {
        // NFD "é" still matches "a écrit" (String equality is canonical equivalence).
        #expect(ReplyText.extract("Oui.\nLe lun., Jane <j@example.com> a e\u{301}crit :\n> x") == "Oui.")
        // ">" with a combining mark is one Character, not a quote marker.
        #expect(ReplyText.extract(">\u{301} kept\n> dropped") == ">\u{301} kept")
        // A space that a combining mark extends is not trimmed.
        #expect(ReplyText.extract(" \u{301}x\n") == " \u{301}x")
        #expect(ReplyText.extract("  \n\tx y \n\n") == "x y")
    }

    @Test func lineEnds() {
        let lf = "Yes.\n> a\nMore.\n\nOn Mon, Jane <j@example.com> wrote:\n> b\n"
        #expect(ReplyText.extract(lf) == "Yes.\nMore.")
        #expect(ReplyText.extract(lf.replacingOccurrences(of: "\n", with: "\r\n")) == "Yes.\nMore.")
        // A lone CR is no line end here (the parser makes it one before).
        #expect(ReplyText.extract("a\rb\r\n> q\r\nc") == "a\rb\nc")
    }

    /// The implementation before issue 15, over Characters.
    enum Reference {
        static let attributions: [(start: String, verbs: [String])] = [
            ("On ", [" wrote", " writes"]), ("Am ", [" schrieb ", " schrieb:", " geschrieben"]), ("Le ", [" a écrit"]),
            ("El ", [" escribió"]), ("Il ", [" ha scritto"]), ("Op ", [" geschreven", " schreef "]), ("Em ", [" escreveu"]),
        ]
        static let fromNames = ["from:", "von:", "de:", "da:", "van:"]
        static let otherNames = ["sent:", "date:", "to:", "subject:", "cc:", "gesendet:", "an:", "betreff:", "envoyé :", "envoyé:", "objet :", "objet:", "à :", "enviado:", "para:", "asunto:"]

        static func trim(_ text: some StringProtocol) -> String {
            let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
            guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) }) else { return "" }
            return String(text[first...last])
        }

        static func isAttribution(_ line: String) -> Bool {
            line.hasSuffix(":") && attributions.contains { start, verbs in line.hasPrefix(start) && verbs.contains { line.contains($0) } }
                || (line.hasPrefix("<") == false && line.hasSuffix("wrote:") && line.contains("@"))
        }

        static func isSeparator(_ line: String) -> Bool {
            let lower = line.lowercased()
            if lower.hasPrefix("-----") && (lower.contains("original message") || lower.contains("forwarded message") || lower.contains("ursprüngliche nachricht")) {
                return true
            }
            return line.count >= 20 && line.allSatisfy { $0 == "_" }
        }

        static func startsHeaderBlock(_ lines: [String], at index: Int) -> Bool {
            let line = trim(lines[index]).replacing("*", with: "").lowercased()
            guard fromNames.contains(where: { line.hasPrefix($0) }) else { return false }
            return lines[(index + 1)..<min(lines.count, index + 4)].contains { next in
                let lower = trim(next).replacing("*", with: "").lowercased()
                return otherNames.contains { lower.hasPrefix($0) }
            }
        }

        static func extract(_ text: String) -> String {
            let lines = text.replacing("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var kept: [String] = []
            var index = 0
            scan: while index < lines.count {
                let line = lines[index]
                let trimmed = trim(line)
                if line == "-- " || line == "--" || isAttribution(trimmed) { break scan }
                if index + 1 < lines.count, isAttribution(trimmed + " " + trim(lines[index + 1])),
                   attributions.contains(where: { trimmed.hasPrefix($0.start) }) {
                    break scan
                }
                if isSeparator(trimmed) || startsHeaderBlock(lines, at: index) { break scan }
                if trimmed.hasPrefix(">") {
                    index += 1
                    continue
                }
                kept.append(line)
                index += 1
            }
            return trim(kept.joined(separator: "\n"))
        }
    }
}
