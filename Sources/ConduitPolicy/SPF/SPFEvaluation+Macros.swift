import ConduitCore
extension SPFEvaluation {
    /// Longest name looked up; longer expansions lose labels on the left (RFC 7208 §7.3).
    static let maxDomainLength = 253

    /// A domain-spec expanded into a name to look up: macros replaced, a
    /// final dot removed, then cut to 253 bytes by dropping leading labels.
    func expandDomain(_ spec: SPFMacroString, domain: String) async throws(Abort) -> String {
        var name = try await expand(spec, domain: domain)
        if name.hasSuffix(".") { name.removeLast() }
        while name.utf8.count > Self.maxDomainLength, let dot = name.firstIndex(of: ".") {
            name = String(name[name.index(after: dot)...])
        }
        return name
    }

    /// `string` with its macros replaced (§7.3); `domain` is `%{d}`.
    func expand(_ string: SPFMacroString, domain: String) async throws(Abort) -> String {
        let validated = string.usesValidatedName ? try await validatedName(domain: domain) : ""
        return string.expand { letter in
            switch letter {
            case .sender: sender.address
            case .localPart: sender.localPart
            case .senderDomain: sender.domain
            case .domain: domain
            case .ip: ip.spfDotted
            case .validatedName: validated
            case .addressKind: ip.isIPv4 ? "in-addr" : "ip6"
            case .helo: helo
            case .client: ip.description
            case .receiver: receiver
            case .timestamp: String(timestamp)
            }
        }
    }

    /// `%{p}` (§7.3): a PTR name of the client whose addresses include it,
    /// preferring `domain` itself, then a name under it; `unknown` when none
    /// validates or the lookup fails. Its lookups count as no term (§4.6.4
    /// counts terms, and the term using the macro is already counted).
    func validatedName(domain: String) async throws(Abort) -> String {
        if let cached = validatedNames[domain] { return cached }
        var result = "unknown"
        if let names = try await pointerNames(countingVoid: false) {
            let target = Self.canonical(domain)
            let under = names.filter { $0 != target && Self.isSubdomain($0, of: target) }
            let others = names.filter { !Self.isSubdomain($0, of: target) }
            for name in names.filter({ $0 == target }) + under + others {
                if try await validates(name) {
                    result = name
                    break
                }
            }
        }
        validatedNames[domain] = result
        return result
    }
}
