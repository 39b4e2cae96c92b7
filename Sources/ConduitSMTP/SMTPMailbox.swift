/// A mailbox from an envelope path (`<local@domain>`), as the client sent it:
/// the SMTP layer checks syntax only; normalizing the domain (IDNA) and
/// deciding what an address means is the backend's business.
public struct SMTPMailbox: Equatable, Sendable, CustomStringConvertible {
    /// The local part as sent; a quoted local part keeps its quotes.
    public var localPart: String
    /// A domain name or an address literal (`[192.0.2.1]`, `[IPv6:…]`).
    public var domain: String

    public init(localPart: String, domain: String) {
        self.localPart = localPart
        self.domain = domain
    }

    public var description: String { "\(localPart)@\(domain)" }

    /// Whether any part is non-ASCII (needs SMTPUTF8, RFC 6531).
    public var isInternationalized: Bool {
        !localPart.utf8.allSatisfy { $0 < 0x80 } || !domain.utf8.allSatisfy { $0 < 0x80 }
    }
}

/// Parses the argument of `MAIL FROM:` / `RCPT TO:` (RFC 5321 §4.1.2).
enum SMTPPathParser {
    enum Failure: Error, Equatable {
        /// Not `<path>` followed by parameters.
        case syntax
        /// A parameter that is not `keyword[=value]`.
        case badParameter
    }

    /// A parsed argument: the mailbox (`nil` for the null path `<>`) and the
    /// ESMTP parameters, keywords upper-cased.
    struct Parsed: Equatable {
        var mailbox: SMTPMailbox?
        var parameters: [(keyword: String, value: String?)]

        static func == (lhs: Parsed, rhs: Parsed) -> Bool {
            lhs.mailbox == rhs.mailbox && lhs.parameters.elementsEqual(rhs.parameters) { $0 == $1 }
        }
    }

    /// - Parameters:
    ///   - argument: the text after the verb, e.g. `FROM:<a@b> SIZE=10`.
    ///   - prefix: `FROM:` or `TO:` (matched case-insensitively).
    static func parse(_ argument: String, prefix: String) throws(Failure) -> Parsed {
        var rest = Substring(argument)
        guard rest.count >= prefix.count, rest.prefix(prefix.count).uppercased() == prefix else { throw .syntax }
        rest = rest.dropFirst(prefix.count)
        // RFC 5321 has no space here, but many clients send one.
        while rest.first == " " { rest.removeFirst() }
        guard rest.first == "<" else { throw .syntax }
        guard let close = closingBracket(in: rest) else { throw .syntax }
        let inner = rest[rest.index(after: rest.startIndex)..<close]
        rest = rest[rest.index(after: close)...]
        guard rest.isEmpty || rest.first == " " else { throw .syntax }

        let mailbox: SMTPMailbox?
        if inner.isEmpty {
            mailbox = nil
        } else {
            mailbox = try parseMailbox(stripSourceRoute(inner))
        }
        var parameters: [(String, String?)] = []
        for word in rest.split(separator: " ") {
            let pieces = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let keyword = pieces[0]
            guard !keyword.isEmpty, keyword.utf8.count <= 32,
                  keyword.utf8.allSatisfy({ isAlnum($0) || $0 == UInt8(ascii: "-") })
            else { throw .badParameter }
            var value: String?
            if pieces.count == 2 {
                guard !pieces[1].isEmpty, pieces[1].utf8.allSatisfy({ $0 > 0x20 && $0 != UInt8(ascii: "=") }) else {
                    throw .badParameter
                }
                value = String(pieces[1])
            }
            parameters.append((keyword.uppercased(), value))
        }
        return Parsed(mailbox: mailbox, parameters: parameters)
    }

    /// The `>` that ends the path, skipping quoted strings in the local part.
    private static func closingBracket(in text: Substring) -> Substring.Index? {
        var quoted = false
        var escaped = false
        var index = text.index(after: text.startIndex)
        while index < text.endIndex {
            let c = text[index]
            if escaped {
                escaped = false
            } else if quoted {
                if c == "\\" { escaped = true } else if c == "\"" { quoted = false }
            } else if c == "\"" {
                quoted = true
            } else if c == ">" {
                return index
            } else if c == "<" {
                return nil
            }
            index = text.index(after: index)
        }
        return nil
    }

    /// Drops an obsolete source route (`@a,@b:`), which RFC 5321 says to
    /// accept and ignore.
    private static func stripSourceRoute(_ inner: Substring) -> Substring {
        guard inner.first == "@", let colon = inner.firstIndex(of: ":") else { return inner }
        return inner[inner.index(after: colon)...]
    }

    private static func parseMailbox(_ text: Substring) throws(Failure) -> SMTPMailbox {
        guard text.utf8.count <= 320, let at = lastAtOutsideQuotes(text) else { throw .syntax }
        let local = text[..<at]
        let domain = text[text.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64 || local.first == "\"", isValidLocalPart(local) else { throw .syntax }
        guard !domain.isEmpty, domain.utf8.count <= 255, isValidDomain(domain) else { throw .syntax }
        return SMTPMailbox(localPart: String(local), domain: String(domain))
    }

    private static func lastAtOutsideQuotes(_ text: Substring) -> Substring.Index? {
        var quoted = false
        var escaped = false
        var found: Substring.Index?
        for index in text.indices {
            let c = text[index]
            if escaped { escaped = false; continue }
            if quoted {
                if c == "\\" { escaped = true } else if c == "\"" { quoted = false }
            } else if c == "\"" {
                quoted = true
            } else if c == "@" {
                found = index
            }
        }
        return quoted ? nil : found
    }

    /// Dot-string of atext (plus UTF-8, RFC 6531) or a quoted string.
    private static func isValidLocalPart(_ local: Substring) -> Bool {
        if local.first == "\"" {
            guard local.count >= 2, local.last == "\"" else { return false }
            var escaped = false
            for byte in local.utf8.dropFirst().dropLast() {
                if escaped { escaped = false; guard byte >= 0x20, byte != 0x7F else { return false }; continue }
                if byte == UInt8(ascii: "\\") { escaped = true; continue }
                guard byte >= 0x20, byte != 0x7F, byte != UInt8(ascii: "\"") else { return false }
            }
            return !escaped
        }
        guard local.first != ".", local.last != ".", !local.contains("..") else { return false }
        return local.utf8.allSatisfy { $0 >= 0x80 || isAtext($0) || $0 == UInt8(ascii: ".") }
    }

    /// A dotted name (LDH or UTF-8 labels; IDNA is checked later) or an
    /// address literal.
    private static func isValidDomain(_ domain: Substring) -> Bool {
        if domain.first == "[" {
            guard domain.last == "]", domain.count > 2 else { return false }
            return domain.utf8.dropFirst().dropLast().allSatisfy {
                $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "[") && $0 != UInt8(ascii: "]") && $0 != UInt8(ascii: "\\")
            }
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { $0 >= 0x80 || isAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        }
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    private static func isAtext(_ b: UInt8) -> Bool {
        isAlnum(b) || "!#$%&'*+-/=?^_`{|}~".utf8.contains(b)
    }
}
