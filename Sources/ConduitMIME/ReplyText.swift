/// The new text of a reply: the plain-text body without the quoted
/// message and the signature. Heuristics for the formats common clients
/// write (docs/MIME.md, reply_text); when none matches, the text is
/// returned trimmed, so nothing the sender wrote is lost.
///
/// One pass over the UTF-8 bytes: lines are byte ranges, and a line of
/// ASCII is matched as bytes. A line with other characters is matched as a
/// `String` (`QuoteHeader`'s Character rules: canonical equivalence, so an
/// NFD `a écrit` still matches, and graphemes, so `>` with a combining mark
/// is no quote marker); on ASCII the two readings are the same.
public enum ReplyText {
    /// `text` (line ends `\n` or `\r\n`) up to the first quote header,
    /// signature delimiter or forwarded-header block, with `>`-quoted lines
    /// removed and surrounding blank lines trimmed.
    public static func extract(_ text: String) -> String {
        var text = text
        return text.withUTF8 { extract(utf8: $0) }
    }

    private static func extract(utf8 text: UnsafeBufferPointer<UInt8>) -> String {
        let lines = ReplyLines(text)
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var keptAny = false
        var index = 0
        scan: while index < lines.count {
            let line = lines.bytes(index)
            if line.elementsEqual("-- ".utf8) || line.elementsEqual("--".utf8) {
                break scan
            }
            if lines.isAttribution(index) || lines.isWrappedAttribution(index) {
                break scan
            }
            if lines.isSeparator(index) || lines.startsHeaderBlock(index) {
                break scan
            }
            if lines.isQuoted(index) {
                index += 1
                continue
            }
            // The kept lines joined by "\n".
            if keptAny { out.append(UInt8(ascii: "\n")) }
            out.append(contentsOf: line)
            keptAny = true
            index += 1
        }
        return TrimmedText.string(out)
    }
}

/// The lines of a text as byte ranges (the line end, `\n` or `\r\n`, not
/// included), each known to be ASCII or not, and the tests of
/// `ReplyText` on one line: as bytes on ASCII, as a `String` otherwise.
private struct ReplyLines {
    let text: UnsafeBufferPointer<UInt8>
    private var ranges: [Range<Int>] = []
    private var ascii: [Bool] = []

    init(_ text: UnsafeBufferPointer<UInt8>) {
        self.text = text
        var start = 0
        var isASCII = true
        for index in 0..<text.count {
            let byte = text[index]
            if byte == UInt8(ascii: "\n") {
                let end = index > start && text[index - 1] == UInt8(ascii: "\r") ? index - 1 : index
                ranges.append(start..<end)
                ascii.append(isASCII)
                start = index + 1
                isASCII = true
            } else if byte >= 0x80 {
                isASCII = false
            }
        }
        ranges.append(start..<text.count)
        ascii.append(isASCII)
    }

    var count: Int { ranges.count }

    func bytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: text[ranges[index]])
    }

    /// An ASCII line without its outer blanks (the same as `trimmingWhitespace()` there).
    private func trimmedASCII(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        var range = ranges[index]
        while let first = range.first, Self.isBlank(text[first]) { range = range.dropFirst() }
        while let last = range.last, Self.isBlank(text[last]) { range = range.dropLast() }
        return UnsafeBufferPointer(rebasing: text[range])
    }

    /// A line that is not ASCII, trimmed as the Character rules trim it.
    private func trimmedString(_ index: Int) -> String {
        String(decoding: bytes(index), as: UTF8.self).trimmingWhitespace()
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }

    func isAttribution(_ index: Int) -> Bool {
        ascii[index] ? QuoteHeader.isAttribution(trimmedASCII(index)) : QuoteHeader.isAttribution(trimmedString(index))
    }

    /// "On Tue, 1 Apr 2025, Jane Doe <jane@example.com>\nwrote:" (wrapped by the client).
    func isWrappedAttribution(_ index: Int) -> Bool {
        guard index + 1 < count else { return false }
        guard ascii[index], ascii[index + 1] else {
            let trimmed = trimmedString(index)
            return QuoteHeader.startsAttribution(trimmed)
                && QuoteHeader.isAttribution(trimmed + " " + String(decoding: bytes(index + 1), as: UTF8.self).trimmingWhitespace())
        }
        let first = trimmedASCII(index)
        guard QuoteHeader.startsAttribution(first) else { return false }
        let joined = Array(first) + [UInt8(ascii: " ")] + Array(trimmedASCII(index + 1))
        return joined.withUnsafeBufferPointer { QuoteHeader.isAttribution($0) }
    }

    func isSeparator(_ index: Int) -> Bool {
        ascii[index] ? QuoteHeader.isSeparator(trimmedASCII(index)) : QuoteHeader.isSeparator(trimmedString(index))
    }

    /// A `From:` line followed within three lines by `Sent:`/`Date:`/`To:`/`Subject:`.
    func startsHeaderBlock(_ index: Int) -> Bool {
        let opens = ascii[index]
            ? QuoteHeader.namesHeader(trimmedASCII(index), in: QuoteHeader.fromNames)
            : QuoteHeader.namesHeader(trimmedString(index), in: QuoteHeader.fromNames)
        guard opens else { return false }
        return (index + 1..<min(count, index + 4)).contains { next in
            ascii[next]
                ? QuoteHeader.namesHeader(trimmedASCII(next), in: QuoteHeader.otherNames)
                : QuoteHeader.namesHeader(trimmedString(next), in: QuoteHeader.otherNames)
        }
    }

    /// A `>`-quoted line.
    func isQuoted(_ index: Int) -> Bool {
        ascii[index] ? trimmedASCII(index).first == UInt8(ascii: ">") : trimmedString(index).hasPrefix(">")
    }
}
