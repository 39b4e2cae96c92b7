/// Limits on a webhook's `payload_template` (docs/DELIVERY.md, "Templates").
public enum TemplateLimits {
    /// Longest template, in UTF-8 bytes.
    public static let maxBytes = 65_536
    /// Deepest nesting of sections (`{{#…}}`, `{{^…}}`, `{{$…}}`, `{{<…}}`).
    public static let maxDepth = 8
}

/// How sections nest in a Mustache template, found by a flat scan of its
/// tags — without swift-mustache, whose parser recurses once per nested
/// section and overflows the stack (SIGSEGV) on a few thousand of them.
///
/// The scan follows swift-mustache's parser tag by tag (set-delimiter tags,
/// comments, triple mustaches, partials, pragmas, and its way of finding the
/// end of a comment), so the depth it reports is the depth that parser will
/// recurse to. A tag the parser would refuse makes the scan stop with
/// `malformed`: the template is refused without being parsed at all.
public struct TemplateShape: Sendable, Equatable {
    /// The deepest nesting seen; the scan stops once it passes `depthLimit`.
    public var depth = 0
    /// UTF-8 bytes of the longest section body (tags included): an upper
    /// bound on the text one pass over any section renders by itself.
    public var largestSectionBytes = 0
    /// For `{{#…}}` sections, by the key they look up (`a.b.headers` and
    /// `reversed(headers)` look up `headers`): the longest body's UTF-8
    /// bytes, tags included. A pass over a list found under that key
    /// renders at most this much text of its own.
    public var sectionBytesByKey: [String: Int] = [:]
    /// Why the template is not valid Mustache, when the scan found out.
    public var malformed: String?

    /// Scans `template`; stops early once `depth` passes `depthLimit`.
    public static func scan(_ template: String, depthLimit: Int = TemplateLimits.maxDepth) -> TemplateShape {
        var scanner = TagScanner(template)
        return scanner.run(depthLimit: depthLimit)
    }
}

/// The scan itself: an index into the template's Characters (the parser
/// compares Characters, so canonically equivalent text matches the same way).
private struct TagScanner {
    let chars: [Character]
    /// `utf8Offsets[i]` is the UTF-8 offset of `chars[i]`.
    let utf8Offsets: [Int]
    var position = 0
    var startDelimiter: [Character] = ["{", "{"]
    var endDelimiter: [Character] = ["}", "}"]

    init(_ template: String) {
        chars = Array(template)
        var offsets: [Int] = []
        offsets.reserveCapacity(chars.count + 1)
        var offset = 0
        for char in chars {
            offsets.append(offset)
            offset += char.utf8.count
        }
        offsets.append(offset)
        utf8Offsets = offsets
    }

    // The parser's name alphabets (Template+Parser.swift).
    static let nameChars = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?()*")
    static let nameCharsWithoutBrackets = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?*")
    static let partialNameChars = Set<Character>("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-_?()*/")

    struct Malformed: Error {
        var reason: String
    }

    mutating func run(depthLimit: Int) -> TemplateShape {
        var shape = TemplateShape()
        // Where the bodies of the open sections start (UTF-8 offsets), and
        // the key a `{{#…}}` section looks up.
        var openBodies: [(start: Int, key: String?)] = []
        do throws(Malformed) {
            while position < chars.count {
                guard matches(startDelimiter, at: position) else {
                    position += 1
                    continue
                }
                let tagStart = position
                position += startDelimiter.count
                guard position < chars.count else { throw Malformed(reason: "a tag is not closed") }
                let kind = chars[position]
                switch kind {
                case "#", "^", "$":
                    position += 1
                    let name = try skipName(Self.nameChars)
                    openBodies.append((utf8Offsets[position], kind == "#" ? Self.key(of: name) : nil))
                case "<":
                    position += 1
                    try skipName(Self.partialNameChars)
                    openBodies.append((utf8Offsets[position], nil))
                case "/":
                    position += 1
                    try skipName(Self.nameChars)
                    guard let body = openBodies.popLast() else { throw Malformed(reason: "a section is closed that was never opened") }
                    let bytes = utf8Offsets[tagStart] - body.start
                    shape.largestSectionBytes = max(shape.largestSectionBytes, bytes)
                    if let key = body.key { shape.sectionBytesByKey[key] = max(shape.sectionBytesByKey[key] ?? 0, bytes) }
                case "!":
                    position += 1
                    try skipComment()
                case "{":
                    position += 1
                    try skipName(Self.nameChars)
                    guard position < chars.count, chars[position] == "}" else { throw Malformed(reason: "a triple mustache is not closed") }
                    position += 1
                case "&":
                    position += 1
                    try skipName(Self.nameChars)
                case ">":
                    position += 1
                    skipWhitespace()
                    if position < chars.count, chars[position] == "*" { position += 1 }
                    try skipName(Self.partialNameChars)
                case "=":
                    position += 1
                    try setDelimiters()
                case "%":
                    position += 1
                    try skipPragma()
                default:
                    try skipName(Self.nameChars)
                }
                shape.depth = max(shape.depth, openBodies.count)
                if shape.depth > depthLimit { return shape }
            }
            if !openBodies.isEmpty { throw Malformed(reason: "a section is not closed") }
        } catch {
            shape.malformed = "\(error.reason) (at character \(position))"
        }
        return shape
    }

    func matches(_ delimiter: [Character], at index: Int) -> Bool {
        guard index + delimiter.count <= chars.count else { return false }
        for (offset, char) in delimiter.enumerated() where chars[index + offset] != char { return false }
        return true
    }

    mutating func skipWhitespace() {
        while position < chars.count, chars[position].isWhitespace { position += 1 }
    }

    mutating func skip(_ alphabet: Set<Character>) {
        while position < chars.count, alphabet.contains(chars[position]) { position += 1 }
    }

    /// `parseName`/`parsePartialName`: whitespace, name, whitespace, then
    /// the end delimiter right there. Returns the name.
    @discardableResult
    mutating func skipName(_ alphabet: Set<Character>) throws(Malformed) -> String {
        skipWhitespace()
        let start = position
        skip(alphabet)
        let name = String(chars[start..<position])
        skipWhitespace()
        try expectEndDelimiter()
        return name
    }

    /// The key a section name looks up last: the innermost transform
    /// argument's last dotted component (`first(a.b.to)` → `to`).
    static func key(of name: String) -> String? {
        let argument = name.split(separator: "(").last.map { $0.prefix { $0 != ")" } } ?? ""
        return argument.split(separator: ".").last.map(String.init)
    }

    mutating func expectEndDelimiter() throws(Malformed) {
        guard matches(endDelimiter, at: position) else { throw Malformed(reason: "a tag is not closed") }
        position += endDelimiter.count
    }

    /// `parseComment`: the parser's search for the end delimiter does not
    /// look at a character again after a partial match (`%%>` does not end
    /// a comment delimited by `%>`); the scan must skip exactly as far.
    mutating func skipComment() throws(Malformed) {
        var matched = 0
        while position < chars.count {
            if chars[position] == endDelimiter[matched] {
                matched += 1
                if matched == endDelimiter.count {
                    position += 1
                    return
                }
            } else {
                matched = 0
            }
            position += 1
        }
        throw Malformed(reason: "a comment is not closed")
    }

    /// `{{=<start> <end>=}}`: the new delimiters hold until the next change.
    mutating func setDelimiters() throws(Malformed) {
        skipWhitespace()
        let startBegin = position
        while position < chars.count, !chars[position].isWhitespace { position += 1 }
        guard position < chars.count else { throw Malformed(reason: "a set-delimiter tag is not valid") }
        let start = Array(chars[startBegin..<position])
        skipWhitespace()
        let endBegin = position
        while position < chars.count, chars[position] != "=", !chars[position].isWhitespace { position += 1 }
        guard position < chars.count else { throw Malformed(reason: "a set-delimiter tag is not valid") }
        let end = Array(chars[endBegin..<position])
        skipWhitespace()
        guard position < chars.count, chars[position] == "=" else { throw Malformed(reason: "a set-delimiter tag is not valid") }
        position += 1
        try expectEndDelimiter()
        guard !start.isEmpty, !end.isEmpty else { throw Malformed(reason: "a set-delimiter tag is not valid") }
        startDelimiter = start
        endDelimiter = end
    }

    /// `{{% NAME: value }}`.
    mutating func skipPragma() throws(Malformed) {
        skipWhitespace()
        skip(Self.nameCharsWithoutBrackets)
        skipWhitespace()
        guard position < chars.count, chars[position] == ":" else { throw Malformed(reason: "a pragma is not valid") }
        position += 1
        skipWhitespace()
        skip(Self.nameCharsWithoutBrackets)
        skipWhitespace()
        try expectEndDelimiter()
    }
}
