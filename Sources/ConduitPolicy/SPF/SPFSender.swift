/// The `<sender>` of check_host() split as the macros need it (RFC 7208 §4.3, §7.3).
struct SPFSender: Equatable, Sendable {
    /// `local-part@domain`, with `postmaster` for a missing local-part.
    let address: String
    let localPart: String
    let domain: String

    /// Splits at the last `@`. A missing local-part becomes `postmaster`;
    /// a text without `@` is taken as a bare domain.
    init(_ text: String) {
        if let at = text.lastIndex(of: "@") {
            let local = text[..<at]
            localPart = local.isEmpty ? "postmaster" : String(local)
            domain = String(text[text.index(after: at)...])
        } else {
            localPart = "postmaster"
            domain = text
        }
        address = "\(localPart)@\(domain)"
    }
}
