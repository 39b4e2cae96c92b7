extension SPFMacroString {
    /// Parses a domain-spec (RFC 7208 §7.1): a non-empty macro-string that
    /// ends in a macro or in `.` and a top label, with an optional final dot.
    static func domainSpec(_ bytes: some Collection<UInt8>) throws(SPFSyntaxError) -> SPFMacroString {
        guard !bytes.isEmpty else { throw SPFSyntaxError("empty domain-spec") }
        let spec = try SPFMacroString(parsing: bytes, context: .domainSpec)
        guard case let .literal(tail)? = spec.tokens.last else { return spec }
        var text = Substring(tail)
        if text.hasSuffix(".") { text.removeLast() }
        guard let dot = text.lastIndex(of: "."), isTopLabel(text[text.index(after: dot)...]) else {
            throw SPFSyntaxError("domain-spec '\(String(decoding: Array(bytes), as: UTF8.self))' does not end in a valid top label")
        }
        return spec
    }

    /// `toplabel` of RFC 7208 §7.1: letters, digits and inner hyphens, not
    /// all digits (unless it has a hyphen: `123-a`, `xn--zckzah`).
    static func isTopLabel(_ label: Substring) -> Bool {
        let bytes = Array(label.utf8)
        guard let first = bytes.first, let last = bytes.last, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        guard bytes.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else { return false }
        return bytes.contains(UInt8(ascii: "-")) || bytes.contains { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }
}
