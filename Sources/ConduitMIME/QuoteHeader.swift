/// The lines that introduce a quoted message in replies and forwards.
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

    /// Field names that open an Outlook-style header block of the quoted
    /// message (English and a few common translations).
    private static let fromNames = ["from:", "von:", "de:", "da:", "van:"]
    private static let otherNames = ["sent:", "date:", "to:", "subject:", "cc:", "gesendet:", "an:", "betreff:", "envoyé :", "envoyé:", "objet :", "objet:", "à :", "enviado:", "para:", "asunto:"]

    static func isAttribution(_ line: String) -> Bool {
        line.hasSuffix(":") && attributions.contains { start, verbs in line.hasPrefix(start) && verbs.contains { line.contains($0) } }
            || (line.hasPrefix("<") == false && line.hasSuffix("wrote:") && line.contains("@"))
    }

    static func startsAttribution(_ line: String) -> Bool {
        attributions.contains { line.hasPrefix($0.start) }
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

    /// A `From:` line followed within three lines by `Sent:`/`Date:`/`To:`/`Subject:`.
    static func startsHeaderBlock(_ lines: [String], at index: Int) -> Bool {
        let line = lines[index].trimmingWhitespace().replacing("*", with: "").lowercased()
        guard fromNames.contains(where: { line.hasPrefix($0) }) else { return false }
        let following = lines[(index + 1)..<min(lines.count, index + 4)]
        return following.contains { next in
            let lower = next.trimmingWhitespace().replacing("*", with: "").lowercased()
            return otherNames.contains { lower.hasPrefix($0) }
        }
    }
}
