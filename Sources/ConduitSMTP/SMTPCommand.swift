/// A command line from the client, split into its verb and argument.
public struct SMTPCommand: Equatable, Sendable {
    /// The verb, upper-cased (`EHLO`, `MAIL`, …).
    public var verb: String
    /// Everything after the verb and one space, unmodified; empty when absent.
    public var argument: String

    /// Parses one command line (without its CRLF). `nil` when the line is not
    /// text an SMTP server can act on: invalid UTF-8, control characters
    /// (a bare CR or LF among them, the stuff of smuggling), or no verb.
    public init?(line: [UInt8]) {
        guard !line.contains(where: { $0 < 0x20 && $0 != 0x09 || $0 == 0x7F }) else { return nil }
        guard let text = String(validating: line, as: UTF8.self) else { return nil }
        let trimmed = text.drop { $0 == " " }
        let verbPart = trimmed.prefix { $0 != " " }
        guard !verbPart.isEmpty, verbPart.utf8.count <= 16,
              verbPart.allSatisfy({ $0.isASCII && $0.isLetter })
        else { return nil }
        verb = verbPart.uppercased()
        var rest = trimmed.dropFirst(verbPart.count)
        if rest.first == " " { rest = rest.dropFirst() }
        argument = String(rest)
    }
}
