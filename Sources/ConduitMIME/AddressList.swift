/// RFC 5322 §3.4 address lists, read leniently: groups are flattened
/// (`undisclosed-recipients:;` yields nothing), comments are dropped,
/// obsolete routes (`<@a,@b:x@y>`) lose the route, display names are
/// unquoted and RFC 2047 decoded (also inside quotes, as mailers send).
enum AddressList {
    /// Internal (not private) for the tests that hold the byte and the
    /// Character tokenisers to the same tokens on ASCII.
    enum Token: Equatable {
        case atom(String)
        case quoted(String)
        /// One of `<>@,;:.`.
        case special(UInt8)
        case literal(String)
    }

    /// The mailboxes of an unfolded header value.
    static func parse(_ text: String) -> [MailAddress] {
        // ASCII (nearly every address header: names are encoded words) is
        // tokenised as bytes, other text as Characters (`ScannedText`).
        let tokens = ScannedTextReader.read(text, ascii: { tokenize($0) }, other: { tokenize($0) })
        var out: [MailAddress] = []
        var current: [Token] = []
        var inAngle = false
        func finish() {
            if let address = mailbox(current) { out.append(address) }
            current = []
        }
        for token in tokens {
            switch token {
            case .special(UInt8(ascii: "<")):
                inAngle = true
                current.append(token)
            case .special(UInt8(ascii: ">")):
                inAngle = false
                current.append(token)
            case .special(UInt8(ascii: ",")), .special(UInt8(ascii: ";")):
                if inAngle {
                    current.append(token)
                } else {
                    finish()
                }
            case .special(UInt8(ascii: ":")) where !inAngle:
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
        if let open = tokens.firstIndex(of: .special(UInt8(ascii: "<"))) {
            var inner = Array(tokens[(open + 1)...])
            if let close = inner.firstIndex(of: .special(UInt8(ascii: ">"))) { inner = Array(inner[..<close]) }
            if let colon = inner.lastIndex(of: .special(UInt8(ascii: ":"))) { inner = Array(inner[(colon + 1)...]) }
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
            case let .special(byte):
                out.append(Character(Unicode.Scalar(byte)))
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
            case let .special(byte):
                if !",;<>".utf8.contains(byte) { out.append(Character(Unicode.Scalar(byte))) }
            }
        }
        return out
    }

    /// For each `(` the index after its matching `)`, found in one pass
    /// (a scan per unclosed `(` would make hostile headers quadratic).
    private static func commentEnds<Text: ScannedText>(_ characters: Text) -> [Int: Int] {
        var ends: [Int: Int] = [:]
        var open: [Int] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.is("\\") {
                index += 1
            } else if character.is("(") {
                open.append(index)
            } else if character.is(")"), let start = open.popLast() {
                ends[start] = index + 1
            }
            index += 1
        }
        return ends
    }

    static func tokenize<Text: ScannedText>(_ characters: Text) -> [Token] {
        let comments = characters.contains { $0.is("(") } ? commentEnds(characters) : [:]
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.is(" ") || character.is("\t") || character.is("\r") || character.is("\n") {
                index += 1
            } else if character.is("(") {
                // An unclosed comment would swallow the rest: then the "(" is just text.
                if let end = comments[index] {
                    index = end
                } else {
                    tokens.append(.atom("("))
                    index += 1
                }
            } else if character.is("\"") {
                var value: [Text.Element] = []
                index += 1
                while index < characters.count, !characters[index].is("\"") {
                    if characters[index].is("\\"), index + 1 < characters.count { index += 1 }
                    value.append(characters[index])
                    index += 1
                }
                index += 1
                tokens.append(.quoted(Text.string(value)))
            } else if character.is("[") {
                let start = index + 1
                index = start
                while index < characters.count, !characters[index].is("]") { index += 1 }
                tokens.append(.literal(Text.string(characters[start..<index])))
                index += 1
            } else if character.isOne(of: specials), let special = specials.members.first(where: { character.is($0) }) {
                tokens.append(.special(UInt8(ascii: special)))
                index += 1
            } else {
                let start = index
                while index < characters.count, !characters[index].isOne(of: atomEnds) { index += 1 }
                if index == start {
                    // A stray ")" or "]": skip it, so every step consumes input.
                    index += 1
                } else {
                    tokens.append(.atom(Text.string(characters[start..<index])))
                }
            }
        }
        return tokens
    }

    private static let specials = ASCIISet("<>@,;:.")
    private static let atomEnds = ASCIISet(" \t\r\n()\"[<>@,;:.")
}
