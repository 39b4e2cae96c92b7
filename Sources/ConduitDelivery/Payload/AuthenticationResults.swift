import ConduitCore

/// The payload's `auth.results`: the verdicts as one RFC 8601
/// Authentication-Results header field body (without the field name),
/// `<authserv-id>; spf=… smtp.mailfrom=…; dkim=… header.d=… header.s=…;
/// dmarc=… header.from=…; arc=…`, so a receiver can hand it on or log it as
/// mail software does. One line, no comments, no folding.
enum AuthenticationResults {
    /// `nil` without an authserv-id (a message spooled before layout 2, a
    /// simulation, `conduit parse`): nothing was checked by a named host.
    static func field(_ context: PayloadContext) -> String? {
        guard let authservID = context.authservID, !authservID.isEmpty else { return nil }
        var parts = [value(authservID)]
        parts.append(spf(context))
        if context.dkim.isEmpty {
            parts.append("dkim=none")
        } else {
            for dkim in context.dkim {
                var part = "dkim=\(dkim.result)"
                if !dkim.domain.isEmpty { part += " header.d=\(value(dkim.domain))" }
                if !dkim.selector.isEmpty { part += " header.s=\(value(dkim.selector))" }
                parts.append(part)
            }
        }
        // Not evaluated (`[smtp] dmarc = false`): the method is left out
        // rather than reported as `none`, which would claim a lookup.
        if let dmarc = context.dmarc {
            parts.append("dmarc=\(dmarc.result)" + (dmarc.domain.isEmpty ? "" : " header.from=\(value(dmarc.domain))"))
        }
        if let arc = context.arc { parts.append("arc=\(arc.result)") }
        return parts.joined(separator: "; ")
    }

    /// `spf=<result> smtp.mailfrom=<address>`, or `smtp.helo=<name>` for the
    /// null sender (RFC 7208 §2.4 checks HELO then); `spf=none` when SPF was not checked.
    private static func spf(_ context: PayloadContext) -> String {
        guard let spf = context.spf, !spf.result.isEmpty else { return "spf=none" }
        let mailFrom = context.mailFrom ?? ""
        if !mailFrom.isEmpty {
            return "spf=\(spf.result) smtp.mailfrom=\(address(mailFrom))"
        }
        guard let helo = spf.domain ?? context.helo, !helo.isEmpty else { return "spf=\(spf.result)" }
        return "spf=\(spf.result) smtp.helo=\(value(helo))"
    }

    /// An RFC 8601 `pvalue` for an address: `local-part@domain`, the local
    /// part quoted unless it is a dot-atom.
    static func address(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return value(text) }
        let local = String(text[..<at]), domain = String(text[text.index(after: at)...])
        let dotAtom = !local.isEmpty && !local.hasPrefix(".") && !local.hasSuffix(".") && !local.contains("..")
            && local.unicodeScalars.allSatisfy { $0 == "." || isAtext($0) }
        return (dotAtom ? local : quoted(local)) + "@" + value(domain)
    }

    /// An RFC 2045 token as it is, anything else as a quoted-string.
    static func value(_ text: String) -> String {
        let token = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !tspecials.contains($0) }
        return token ? text : quoted(text)
    }

    private static let tspecials = Set("()<>@,;:\\\"/[]?=".unicodeScalars)

    private static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value >= 128 { return true }  // RFC 6532 UTF-8 addresses
        if ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) { return true }
        return "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            // Line breaks cannot be in a one-line field body; nothing we
            // spool has them, but a space keeps the value readable.
            if scalar == "\r" || scalar == "\n" { out += " "; continue }
            if scalar == "\"" || scalar == "\\" { out += "\\" }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }
}
