/// One SMTP reply: a three-digit code, an RFC 3463 enhanced status code when
/// the reply has one, and one or more text lines.
public struct SMTPReply: Equatable, Sendable, CustomStringConvertible {
    public var code: Int
    public var enhanced: String?
    public var lines: [String]

    public init(_ code: Int, _ enhanced: String? = nil, _ lines: [String]) {
        precondition((200...599).contains(code), "SMTP reply code out of range")
        self.code = code
        self.enhanced = enhanced
        self.lines = lines.isEmpty ? [""] : lines
    }

    public init(_ code: Int, _ enhanced: String? = nil, _ text: String) {
        self.init(code, enhanced, [text])
    }

    /// The wire form: `code-text` on every line but the last, `code text` on
    /// the last, each ending in CRLF.
    public var wire: String {
        var out = ""
        for (index, line) in lines.enumerated() {
            let separator = index == lines.count - 1 ? " " : "-"
            let prefix = enhanced.map { "\($0) " } ?? ""
            out += "\(code)\(separator)\(prefix)\(line)\r\n"
        }
        return out
    }

    public var description: String { wire.split(separator: "\r\n").joined(separator: " | ") }
}
