public import ConduitCore

/// A webhook's `SMTPSecurityPolicy` applied to facts about a message: pure
/// functions, so the rules are tested without sockets or DNS.
///
/// The SPF and DKIM checks apply when the policy requires them or names
/// allowed domains (a list of allowed domains is a requirement to pass for
/// one of them); an empty list allows any domain that passes.
public enum SMTPPolicyEvaluator {
    /// The client's address against `allowed_source_ips` (empty = any).
    public static func checkSource(_ policy: SMTPSecurityPolicy, ip: IPAddress?) -> PolicyDecision {
        guard !policy.allowedSourceIPs.isEmpty else { return .accept }
        guard let ip = ip?.unmapped else { return .reject(reason: "source address unknown") }
        let allowed = policy.allowedSourceIPs.contains { entry in
            CIDR(entry)?.contains(ip) ?? (IPAddress(entry)?.unmapped == ip)
        }
        return allowed ? .accept : .reject(reason: "source address \(ip) not permitted")
    }

    /// SMTP AUTH: the client must have authenticated with one of this
    /// policy's credentials.
    public static func checkAuth(_ policy: SMTPSecurityPolicy, authenticatedPolicyIDs: Set<String>) -> PolicyDecision {
        guard policy.requireSMTPAuth else { return .accept }
        return authenticatedPolicyIDs.contains(policy.id) ? .accept : .reject(reason: "authentication required")
    }

    /// Whether the SPF verdict is needed for this policy at all.
    public static func needsSPF(_ policy: SMTPSecurityPolicy) -> Bool {
        policy.requireSPF || !policy.allowedSPFDomains.isEmpty
    }

    /// Whether DKIM results decide delivery for this policy.
    public static func needsDKIM(_ policy: SMTPSecurityPolicy) -> Bool {
        policy.requireDKIM || !policy.allowedDKIMDomains.isEmpty
    }

    public static func checkSPF(_ policy: SMTPSecurityPolicy, verdict: SPFVerdict) -> PolicyDecision {
        guard needsSPF(policy) else { return .accept }
        switch verdict.result {
        case .pass:
            guard policy.allowedSPFDomains.isEmpty || policy.allowedSPFDomains.contains(verdict.domain.lowercased()) else {
                return .reject(reason: "SPF passed for \(verdict.domain), which this recipient does not accept")
            }
            return .accept
        case .temperror:
            return .defer(reason: "SPF temporary error for \(verdict.domain)")
        default:
            return .reject(reason: "SPF \(verdict.result.rawValue) for \(verdict.domain)")
        }
    }

    /// Needs one passing signature from an allowed domain. When none passes
    /// but one could not be checked for a temporary reason, defer.
    public static func checkDKIM(_ policy: SMTPSecurityPolicy, verdicts: [DKIMVerdict]) -> PolicyDecision {
        guard needsDKIM(policy) else { return .accept }
        let passing = verdicts.filter { $0.result == .pass }
        if passing.contains(where: { policy.allowedDKIMDomains.isEmpty || policy.allowedDKIMDomains.contains($0.domain.lowercased()) }) {
            return .accept
        }
        if verdicts.contains(where: { $0.result == .temperror }) {
            return .defer(reason: "DKIM temporary error")
        }
        if let domain = passing.first?.domain {
            return .reject(reason: "DKIM passed for \(domain), which this recipient does not accept")
        }
        if let failed = verdicts.first {
            return .reject(reason: "DKIM \(failed.result.rawValue) for \(failed.domain)" + (failed.reason.map { ": \($0)" } ?? ""))
        }
        return .reject(reason: "no DKIM signature")
    }
}
