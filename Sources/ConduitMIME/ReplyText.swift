/// The new text of a reply: the plain-text body without the quoted
/// message and the signature. Heuristics for the formats common clients
/// write (docs/MIME.md, reply_text); when none matches, the text is
/// returned trimmed, so nothing the sender wrote is lost.
public enum ReplyText {
    /// `text` (line ends `\n` or `\r\n`) up to the first quote header,
    /// signature delimiter or forwarded-header block, with `>`-quoted lines
    /// removed and surrounding blank lines trimmed.
    public static func extract(_ text: String) -> String {
        let lines = text.replacing("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var kept: [String] = []
        var index = 0
        scan: while index < lines.count {
            let line = lines[index]
            let trimmed = line.trimmingWhitespace()
            if line == "-- " || line == "--" {
                break scan
            }
            if QuoteHeader.isAttribution(trimmed) {
                break scan
            }
            // "On Tue, 1 Apr 2025, Jane Doe <jane@example.com>\nwrote:" (wrapped by the client)
            if index + 1 < lines.count, QuoteHeader.isAttribution(trimmed + " " + lines[index + 1].trimmingWhitespace()),
               QuoteHeader.startsAttribution(trimmed) {
                break scan
            }
            if QuoteHeader.isSeparator(trimmed) || QuoteHeader.startsHeaderBlock(lines, at: index) {
                break scan
            }
            if trimmed.hasPrefix(">") {
                index += 1
                continue
            }
            kept.append(line)
            index += 1
        }
        return kept.joined(separator: "\n").trimmingWhitespace()
    }
}
