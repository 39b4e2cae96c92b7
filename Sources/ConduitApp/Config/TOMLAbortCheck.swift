/// Finds the text TOMLKit's parser (toml++) cannot be given.
///
/// toml++ asserts (SIGABRT, in release builds too) on two kinds of invalid
/// TOML, both found by `make fuzz` (docs/RELIABILITY.md, "Fuzzing"):
/// - a table header whose first key starts with anything but a bare-key
///   character, a quote or `]`: `[é]`, `[=]`, `[{]`, a lone `[`;
/// - a `}` where an array expects a value: `s = [}`, `s = [1, }`;
/// - a date and `T` with no digit after it in a value: `c = 1979-05-27T:00Z`
///   (toml++'s `parse_time` assumes the digit).
/// A config with either made `check-config` abort and a SIGHUP reload kill
/// the running server. Neither is valid TOML, so refusing them first loses
/// nothing.
///
/// A line is a table header only outside values: the scan follows strings
/// (basic, literal, multi-line), comments, and arrays and inline tables
/// spanning lines, so `[` opening a nested array inside a value is left alone.
enum TOMLAbortCheck {
    /// The 1-based line and column of the first character toml++ would
    /// abort on, and what is wrong there.
    static func firstUnsafeSpot(in text: String) -> (line: Int, column: Int, problem: String)? {
        let bytes = Array(text.utf8)
        // toml++ skips a UTF-8 byte order mark; the first line starts after it.
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        var index = bytes.starts(with: bom) ? bom.count : 0
        var line = 1
        var lineStart = index
        // The open arrays (`[`) and inline tables (`{`) of the value being read.
        var open: [UInt8] = []
        var atLineStart = true
        // Past a line's `=` (or inside an open array/table): a value is read.
        var inValue = false
        while index < bytes.count {
            let byte = bytes[index]
            if atLineStart {
                atLineStart = false
                var first = index
                while first < bytes.count, bytes[first] == space || bytes[first] == tab { first += 1 }
                if open.isEmpty, first < bytes.count, bytes[first] == openBracket {
                    var key = first + 1
                    if key < bytes.count, bytes[key] == openBracket { key += 1 }
                    while key < bytes.count, bytes[key] == space || bytes[key] == tab { key += 1 }
                    if key >= bytes.count || !isHeaderKeyStart(bytes[key]) {
                        return (line, key - lineStart + 1, "a table header's key must start with a letter, a digit, '_', '-' or a quote")
                    }
                    // The header itself holds no values: go to the next line.
                    index = skipLine(bytes, from: key)
                    continue
                }
            }
            switch byte {
            case newline:
                if open.isEmpty { inValue = false }
                line += 1
                index += 1
                lineStart = index
                atLineStart = true
                continue
            case hash:
                index = skipLine(bytes, from: index)
                continue
            case doubleQuote, singleQuote:
                let (end, lines, start) = skipString(bytes, from: index)
                line += lines
                if lines > 0 { lineStart = start }
                index = end
                continue
            case openBracket, openBrace:
                open.append(byte)
            case closeBracket:
                if open.last == openBracket { open.removeLast() }
            case closeBrace:
                if open.last == openBracket { return (line, index - lineStart + 1, "'}' inside an array, where a value belongs") }
                if open.last == openBrace { open.removeLast() }
            case equals:
                inValue = true
            case UInt8(ascii: "T"), UInt8(ascii: "t"):
                if inValue || !open.isEmpty, followsDate(bytes, at: index), !(index + 1 < bytes.count && isDigit(bytes[index + 1])) {
                    return (line, index - lineStart + 2, "a date-time needs the hour right after 'T'")
                }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n")
    private static let hash = UInt8(ascii: "#"), backslash = UInt8(ascii: "\\")
    private static let doubleQuote = UInt8(ascii: "\""), singleQuote = UInt8(ascii: "'")
    private static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    private static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    private static let equals = UInt8(ascii: "=")

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// Whether the 10 bytes before `index` are a date, `dddd-dd-dd`.
    private static func followsDate(_ bytes: [UInt8], at index: Int) -> Bool {
        guard index >= 10 else { return false }
        let date = bytes[(index - 10)..<index]
        return date.enumerated().allSatisfy { offset, byte in
            offset == 4 || offset == 7 ? byte == UInt8(ascii: "-") : isDigit(byte)
        }
    }

    /// What toml++ accepts where a header's first key starts.
    private static func isHeaderKeyStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "_"), UInt8(ascii: "-"), doubleQuote, singleQuote, closeBracket:
            true
        default:
            false
        }
    }

    /// The index of the line end at or after `index` (the newline itself is
    /// left for the caller to count).
    private static func skipLine(_ bytes: [UInt8], from index: Int) -> Int {
        var index = index
        while index < bytes.count, bytes[index] != newline { index += 1 }
        return index
    }

    /// Skips the string starting at `index` (its opening quote): the index
    /// after its closing quote (or the end), how many line ends it spans,
    /// and where the last of those lines starts.
    private static func skipString(_ bytes: [UInt8], from index: Int) -> (end: Int, lines: Int, lineStart: Int) {
        let quote = bytes[index]
        let multiline = index + 2 < bytes.count && bytes[index + 1] == quote && bytes[index + 2] == quote
        var position = index + (multiline ? 3 : 1)
        var lines = 0
        var lineStart = 0
        while position < bytes.count {
            let byte = bytes[position]
            if byte == backslash, quote == doubleQuote {
                position += 2
                continue
            }
            if byte == newline {
                // A single-line string cannot span lines: the line ends it (toml++ reports the error).
                guard multiline else { return (position, lines, lineStart) }
                lines += 1
                lineStart = position + 1
            } else if byte == quote {
                if !multiline { return (position + 1, lines, lineStart) }
                if position + 2 < bytes.count, bytes[position + 1] == quote, bytes[position + 2] == quote {
                    return (position + 3, lines, lineStart)
                }
            }
            position += 1
        }
        return (position, lines, lineStart)
    }
}
