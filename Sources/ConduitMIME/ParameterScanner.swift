/// Tokenises `value; name=token; name="quoted \" string"` leniently:
/// comments are skipped, a missing `=` or a stray `;` is passed over, an
/// unterminated quoted string runs to the end.
struct ParameterScanner {
    private let characters: [Character]
    private var index = 0

    init(_ text: String) {
        characters = Array(text)
    }

    /// The value before the first `;`, comments removed, trimmed.
    mutating func leadingValue() -> String {
        var out = ""
        while index < characters.count, characters[index] != ";" {
            if characters[index] == "(" {
                skipComment()
                continue
            }
            if characters[index] == "\"" {
                out += quotedString()
                continue
            }
            out.append(characters[index])
            index += 1
        }
        return out.filter { $0 != " " && $0 != "\t" }
    }

    /// The next `name=value` pair (quotes removed), or `nil` at the end.
    mutating func nextParameter() -> (String, String)? {
        while index < characters.count {
            skipSpaceAndSemicolons()
            guard index < characters.count else { return nil }
            var name = ""
            while index < characters.count, !"=;\"( \t".contains(characters[index]) {
                name.append(characters[index])
                index += 1
            }
            skipSpace()
            guard index < characters.count, characters[index] == "=", !name.isEmpty else {
                // Not a parameter: skip to the next `;`.
                while index < characters.count, characters[index] != ";" { index += 1 }
                continue
            }
            index += 1
            skipSpace()
            if index < characters.count, characters[index] == "\"" {
                return (name, quotedString())
            }
            var value = ""
            while index < characters.count, characters[index] != ";", characters[index] != "(" {
                value.append(characters[index])
                index += 1
            }
            return (name, value.trimmingWhitespace())
        }
        return nil
    }

    private mutating func quotedString() -> String {
        var out = ""
        index += 1
        while index < characters.count {
            let character = characters[index]
            index += 1
            if character == "\"" { return out }
            if character == "\\", index < characters.count {
                out.append(characters[index])
                index += 1
            } else {
                out.append(character)
            }
        }
        return out
    }

    private mutating func skipComment() {
        var depth = 0
        while index < characters.count {
            switch characters[index] {
            case "(": depth += 1
            case ")": depth -= 1
            case "\\": index += 1
            default: break
            }
            index += 1
            if depth == 0 { return }
        }
    }

    private mutating func skipSpace() {
        while index < characters.count {
            if characters[index] == " " || characters[index] == "\t" {
                index += 1
            } else if characters[index] == "(" {
                skipComment()
            } else {
                return
            }
        }
    }

    private mutating func skipSpaceAndSemicolons() {
        while index < characters.count {
            skipSpace()
            guard index < characters.count, characters[index] == ";" else { return }
            index += 1
        }
    }
}
