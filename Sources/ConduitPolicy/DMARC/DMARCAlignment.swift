/// Identifier alignment (RFC 9989 §4.4): whether an authenticated domain
/// (SPF's MAIL FROM domain, a DKIM `d=`) belongs with the author domain.
struct DMARCAlignment {
    let walk: DMARCTreeWalk
    let authorDomain: String

    /// Strict: the same name. Relaxed: the same Organizational Domain, each
    /// found by its own tree walk (§4.10.2). `nil` when a lookup failed
    /// before the answer was certain; an identifier that is not a usable
    /// domain name is never aligned.
    func isAligned(_ identifier: String, mode: DMARCAlignmentMode) async -> Bool? {
        guard case let .success(domain) = DMARCAuthorDomain.domainName(identifier) else { return false }
        if domain == authorDomain { return true }
        guard mode == .relaxed else { return false }
        // An Organizational Domain is a name or one of its ancestors: two
        // names with no common ancestor below the root cannot share one.
        guard let shared = Self.commonSuffix(domain, authorDomain), !shared.isEmpty else { return false }
        guard let authorOrganization = await walk.organizationalDomain(of: authorDomain),
              let identifierOrganization = await walk.organizationalDomain(of: domain) else { return nil }
        return authorOrganization == identifierOrganization
    }

    /// The labels two names end with, joined; `nil` when none.
    static func commonSuffix(_ first: String, _ second: String) -> String? {
        let a = first.split(separator: ".").reversed()
        let b = second.split(separator: ".").reversed()
        let common = zip(a, b).prefix { $0 == $1 }.map { String($0.0) }
        return common.isEmpty ? nil : common.reversed().joined(separator: ".")
    }
}
