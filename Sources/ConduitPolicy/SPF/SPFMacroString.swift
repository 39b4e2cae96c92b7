/// A macro-string of RFC 7208 §7.1 (a domain-spec, a modifier value or an
/// explanation text), parsed once and expanded for each check.
struct SPFMacroString: Equatable, Sendable {
    enum Token: Equatable, Sendable {
        /// Literal text.
        case literal(String)
        /// `%%`, `%_` or `%-`, already replaced by `%`, a space or `%20`.
        case escape(String)
        case macro(SPFMacro)
    }

    /// Where the string stands decides what it may hold.
    enum Context: Sendable {
        /// A domain-spec of a mechanism, `redirect=` or `exp=`: no spaces,
        /// and `c`, `r`, `t` are errors (§7.1).
        case domainSpec
        /// An unknown modifier's value: checked, never expanded.
        case modifierValue
        /// The text an `exp=` record holds: spaces and every macro letter.
        case explanation
    }

    let tokens: [Token]

    /// Parses `bytes`; any `%` that does not start a valid macro, and any
    /// byte outside visible ASCII (or space, in explanations), is an error.
    init(parsing bytes: some Collection<UInt8>, context: Context) throws(SPFSyntaxError) {
        var tokens: [Token] = []
        var literal: [UInt8] = []
        func flush() {
            if !literal.isEmpty { tokens.append(.literal(String(decoding: literal, as: UTF8.self))) }
            literal = []
        }
        var rest = Array(bytes)[...]
        while let byte = rest.popFirst() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let next = rest.popFirst() else { throw SPFSyntaxError("'%' at the end of a macro string") }
                flush()
                switch next {
                case UInt8(ascii: "%"): tokens.append(.escape("%"))
                case UInt8(ascii: "_"): tokens.append(.escape(" "))
                case UInt8(ascii: "-"): tokens.append(.escape("%20"))
                case UInt8(ascii: "{"): tokens.append(.macro(try Self.macro(&rest, context: context)))
                default: throw SPFSyntaxError("'%' must be followed by '{', '%', '_' or '-'")
                }
            case UInt8(ascii: " ") where context == .explanation, 0x21...0x7E:
                literal.append(byte)
            default:
                throw SPFSyntaxError("character \(byte) is not allowed in a macro string")
            }
        }
        flush()
        self.tokens = tokens
    }

    /// The body of `%{…}` after the brace: letter, digits, `r`, delimiters, `}`.
    private static func macro(_ rest: inout ArraySlice<UInt8>, context: Context) throws(SPFSyntaxError) -> SPFMacro {
        guard let first = rest.popFirst(), let letter = SPFMacro.Letter(rawValue: first | 0x20) else {
            throw SPFSyntaxError("unknown macro letter")
        }
        if context == .domainSpec, !SPFMacro.Letter.domainSpec.contains(letter) {
            throw SPFSyntaxError("macro '\(Character(Unicode.Scalar(first)))' is allowed only in explanations")
        }
        var digits: Int?
        while let byte = rest.first, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            rest.removeFirst()
            digits = min((digits ?? 0) * 10 + Int(byte - UInt8(ascii: "0")), 1000)
        }
        if digits == 0 { throw SPFSyntaxError("a macro's part count must not be zero") }
        var reversed = false
        if let byte = rest.first, byte | 0x20 == UInt8(ascii: "r") {
            rest.removeFirst()
            reversed = true
        }
        var delimiters: Set<UInt8> = []
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "}") {
                return SPFMacro(
                    letter: letter, urlEscaped: first < 0x61, keep: digits, reversed: reversed,
                    delimiters: delimiters.isEmpty ? SPFMacro.defaultDelimiters : delimiters
                )
            }
            guard SPFMacro.allowedDelimiters.contains(byte) else { throw SPFSyntaxError("invalid macro delimiter") }
            delimiters.insert(byte)
        }
        throw SPFSyntaxError("unterminated macro")
    }

    /// Whether expanding needs `%{p}`, which costs DNS lookups.
    var usesValidatedName: Bool {
        tokens.contains { if case let .macro(macro) = $0 { macro.letter == .validatedName } else { false } }
    }

    /// The expanded text, each macro's raw value given by `value`.
    func expand(_ value: (SPFMacro.Letter) -> String) -> String {
        var out = ""
        for token in tokens {
            switch token {
            case let .literal(text), let .escape(text): out += text
            case let .macro(macro): out += macro.apply(to: value(macro.letter))
            }
        }
        return out
    }
}
