/// RFC 5322 §3.4 address lists, read leniently: groups are flattened
/// (`undisclosed-recipients:;` yields nothing), comments are dropped,
/// obsolete routes (`<@a,@b:x@y>`) lose the route, display names are
/// unquoted and RFC 2047 decoded (also inside quotes, as mailers send).
enum AddressList {
    private enum Token: Equatable {
        case atom(String)
        case quoted(String)
        case special(Character)
        case literal(String)
    }

    /// The mailboxes of an unfolded header value.
    static func parse(_ text: String) -> [MailAddress] {
        let tokens = tokenize(text)
        var out: [MailAddress] = []
        var current: [Token] = []
        var inAngle = false
        func finish() {
            if let address = mailbox(current) { out.append(address) }
            current = []
        }
        for token in tokens {
            switch token {
            case .special("<"):
                inAngle = true
                current.append(token)
            case .special(">"):
                inAngle = false
                current.append(token)
            case .special(","), .special(";"):
                if inAngle {
                    current.append(token)
                } else {
                    finish()
                }
            case .special(":") where !inAngle:
                // The phrase so far names a group: drop it.
                current = []
            default:
                current.append(token)
            }
        }
        finish()
        return out
    }

    /// One mailbox from its tokens: `phrase <addr-spec>` or a bare addr-spec.
    private static func mailbox(_ tokens: [Token]) -> MailAddress? {
        guard !tokens.isEmpty else { return nil }
        if let open = tokens.firstIndex(of: .special("<")) {
            var inner = Array(tokens[(open + 1)...])
            if let close = inner.firstIndex(of: .special(">")) { inner = Array(inner[..<close]) }
            if let colon = inner.lastIndex(of: .special(":")) { inner = Array(inner[(colon + 1)...]) }
            let name = phrase(Array(tokens[..<open]))
            let address = addrSpec(inner)
            if address.isEmpty && name.isEmpty { return nil }
            return MailAddress(name: name, address: address)
        }
        let address = addrSpec(tokens)
        return address.isEmpty ? nil : MailAddress(name: nil, address: address)
    }

    /// A display name: words joined by one space, a `.` glued to the word before.
    private static func phrase(_ tokens: [Token]) -> String {
        var out = ""
        for token in tokens {
            switch token {
            case let .atom(text), let .quoted(text), let .literal(text):
                if !out.isEmpty { out += " " }
                out += text
            case let .special(character):
                out.append(character)
            }
        }
        return EncodedWords.decode(out).trimmingWhitespace()
    }

    /// An addr-spec rendered without spaces; a quoted local part stays quoted
    /// only when it needs to.
    private static func addrSpec(_ tokens: [Token]) -> String {
        var out = ""
        for token in tokens {
            switch token {
            case let .atom(text): out += text
            case let .quoted(text):
                let plain = !text.isEmpty && text.allSatisfy { $0.isASCII && !$0.isWhitespace && !"()<>[]:;@\\,.\"".contains($0) }
                out += plain ? text : "\"" + text.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
            case let .literal(text): out += "[" + text + "]"
            case let .special(character):
                if character != "," && character != ";" && character != "<" && character != ">" { out.append(character) }
            }
        }
        return out
    }

    /// For each `(` the index after its matching `)`, found in one pass
    /// (a scan per unclosed `(` would make hostile headers quadratic).
    private static func commentEnds(_ characters: [Character]) -> [Int: Int] {
        var ends: [Int: Int] = [:]
        var open: [Int] = []
        var index = 0
        while index < characters.count {
            switch characters[index] {
            case "\\": index += 1
            case "(": open.append(index)
            case ")": if let start = open.popLast() { ends[start] = index + 1 }
            default: break
            }
            index += 1
        }
        return ends
    }

    private static func tokenize(_ text: String) -> [Token] {
        let characters = Array(text)
        let comments = commentEnds(characters)
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case " ", "\t", "\r", "\n":
                index += 1
            case "(":
                // An unclosed comment would swallow the rest: then the "(" is just text.
                if let end = comments[index] {
                    index = end
                } else {
                    tokens.append(.atom("("))
                    index += 1
                }
            case "\"":
                var value = ""
                index += 1
                while index < characters.count, characters[index] != "\"" {
                    if characters[index] == "\\", index + 1 < characters.count { index += 1 }
                    value.append(characters[index])
                    index += 1
                }
                index += 1
                tokens.append(.quoted(value))
            case "[":
                var value = ""
                index += 1
                while index < characters.count, characters[index] != "]" {
                    value.append(characters[index])
                    index += 1
                }
                index += 1
                tokens.append(.literal(value))
            case "<", ">", "@", ",", ";", ":", ".":
                tokens.append(.special(character))
                index += 1
            default:
                var value = ""
                while index < characters.count, !" \t\r\n()\"[<>@,;:.".contains(characters[index]) {
                    value.append(characters[index])
                    index += 1
                }
                if value.isEmpty {
                    // A stray ")" or "]": skip it, so every step consumes input.
                    index += 1
                } else {
                    tokens.append(.atom(value))
                }
            }
        }
        return tokens
    }
}
