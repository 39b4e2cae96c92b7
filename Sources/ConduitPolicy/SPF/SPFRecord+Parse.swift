extension SPFRecord {
    /// Whether a TXT record's text (strings joined) is an SPF record:
    /// `v=spf1`, any case, then a space or the end (RFC 7208 §4.5).
    static func isSPF(_ text: [UInt8]) -> Bool {
        guard text.count >= 6, text.prefix(6).map({ $0 | 0x20 }) == Array("v=spf1".utf8) else { return false }
        return text.count == 6 || text[6] == UInt8(ascii: " ")
    }

    /// Parses a whole record (which `isSPF` accepted). Every term is checked
    /// before any is evaluated, so a syntax error anywhere is found (§4.6).
    static func parse(_ text: [UInt8]) throws(SPFSyntaxError) -> SPFRecord {
        guard isSPF(text) else { throw SPFSyntaxError("not an SPF record") }
        guard text.allSatisfy({ (0x20...0x7E).contains($0) }) else { throw SPFSyntaxError("SPF records must be printable ASCII") }
        var record = SPFRecord()
        for term in text.dropFirst(6).split(separator: UInt8(ascii: " ")) {
            try record.add(term)
        }
        return record
    }

    private mutating func add(_ term: ArraySlice<UInt8>) throws(SPFSyntaxError) {
        if let equals = term.firstIndex(of: UInt8(ascii: "=")), Self.isModifierName(term[..<equals]) {
            let name = String(decoding: term[..<equals].map { $0 | 0x20 }, as: UTF8.self)
            let value = term[term.index(after: equals)...]
            switch name {
            case "redirect":
                guard redirect == nil else { throw SPFSyntaxError("redirect= appears twice") }
                redirect = try SPFMacroString.domainSpec(value)
            case "exp":
                guard explanation == nil else { throw SPFSyntaxError("exp= appears twice") }
                explanation = try SPFMacroString.domainSpec(value)
            default:
                _ = try SPFMacroString(parsing: value, context: .modifierValue)
            }
            return
        }
        var rest = term
        var qualifier = Qualifier.pass
        if let first = rest.first, let explicit = Qualifier(rawValue: first) {
            qualifier = explicit
            rest.removeFirst()
        }
        directives.append(Directive(qualifier: qualifier, mechanism: try Self.mechanism(rest)))
    }

    /// `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )` (§4.6.1).
    private static func isModifierName(_ name: ArraySlice<UInt8>) -> Bool {
        guard let first = name.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first | 0x20) else { return false }
        return name.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }
}
