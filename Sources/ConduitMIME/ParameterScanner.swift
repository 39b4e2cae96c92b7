/// Tokenises `value; name=token; name="quoted \" string"` leniently:
/// comments are skipped, a missing `=` or a stray `;` is passed over, an
/// unterminated quoted string runs to the end. Reads ASCII bytes or
/// Characters (`ScannedText`).
struct ParameterScanner<Text: ScannedText> {
    private let characters: Text
    private var index = 0

    init(_ text: Text) {
        characters = text
    }

    /// The value before the first `;`, comments removed, trimmed.
    mutating func leadingValue() -> String {
        var out: [Text.Element] = []
        while index < characters.count, !characters[index].is(";") {
            if characters[index].is("(") {
                skipComment()
                continue
            }
            if characters[index].is("\"") {
                quotedString(into: &out)
                continue
            }
            out.append(characters[index])
            index += 1
        }
        return Text.string(out.filter { !$0.is(" ") && !$0.is("\t") })
    }

    /// The next `name=value` pair (quotes removed), or `nil` at the end.
    mutating func nextParameter() -> (String, String)? {
        while index < characters.count {
            skipSpaceAndSemicolons()
            guard index < characters.count else { return nil }
            let nameStart = index
            while index < characters.count, !Self.endsName(characters[index]) {
                index += 1
            }
            let name = Text.string(characters[nameStart..<index])
            skipSpace()
            guard index < characters.count, characters[index].is("="), !name.isEmpty else {
                // Not a parameter: skip to the next `;`.
                while index < characters.count, !characters[index].is(";") { index += 1 }
                continue
            }
            index += 1
            skipSpace()
            if index < characters.count, characters[index].is("\"") {
                var value: [Text.Element] = []
                quotedString(into: &value)
                return (name, Text.string(value))
            }
            let valueStart = index
            while index < characters.count, !characters[index].is(";"), !characters[index].is("(") {
                index += 1
            }
            return (name, Text.string(characters[valueStart..<index]).trimmingWhitespace())
        }
        return nil
    }

    private static func endsName(_ character: Text.Element) -> Bool {
        character.isOne(of: parameterNameEnds)
    }

    private mutating func quotedString(into out: inout [Text.Element]) {
        index += 1
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character.is("\"") { return }
            if character.is("\\"), index < characters.count {
                out.append(characters[index])
                index += 1
            } else {
                out.append(character)
            }
        }
    }

    private mutating func skipComment() {
        var depth = 0
        while index < characters.count {
            let character = characters[index]
            if character.is("(") {
                depth += 1
            } else if character.is(")") {
                depth -= 1
            } else if character.is("\\") {
                index += 1
            }
            index += 1
            if depth == 0 { return }
        }
    }

    private mutating func skipSpace() {
        while index < characters.count {
            if characters[index].is(" ") || characters[index].is("\t") {
                index += 1
            } else if characters[index].is("(") {
                skipComment()
            } else {
                return
            }
        }
    }

    private mutating func skipSpaceAndSemicolons() {
        while index < characters.count {
            skipSpace()
            guard index < characters.count, characters[index].is(";") else { return }
            index += 1
        }
    }
}

private let parameterNameEnds = ASCIISet("=;\"( \t")
