public import ConduitCore
public import ConduitDNS
import Glibc
public import Logging

/// Sender Policy Framework checks (RFC 7208): a pure function of the client
/// address, the envelope identities and the DNS answers.
///
/// Every mechanism and modifier, macros, `exp=`, IPv6, the limits of
/// §4.6.4 (10 DNS-querying terms, 2 void lookups, 10 names per `mx`/`ptr`)
/// and an overall time limit. Temporary DNS failures give `temperror`
/// (defer, never reject); SPF records of RR type 99 are not consulted.
public struct SPFChecker: Sendable {
    private let resolver: any DNSResolving
    private let logger: Logger
    private let receiver: String
    private let timeLimit: Duration

    /// - Parameters:
    ///   - receiver: this host's name, the `%{r}` of explanations (`unknown` by default).
    ///   - timeLimit: after this long a check stops with `temperror`
    ///     (§4.6.4 asks for a limit of at least 20 seconds).
    public init(resolver: any DNSResolving, logger: Logger, receiver: String = "unknown", timeLimit: Duration = .seconds(20)) {
        self.resolver = resolver
        self.logger = logger
        self.receiver = receiver
        self.timeLimit = timeLimit
    }

    /// Checks the MAIL FROM identity, or for the null sender (`""` or `<>`)
    /// the HELO identity as `postmaster@<helo>` (RFC 7208 §2.4). A mail-from
    /// without `@` is taken as a bare domain; a missing local-part is `postmaster`.
    public func check(ip: IPAddress, mailFrom: String, helo: String) async -> SPFVerdict {
        var address = Substring(mailFrom)
        if address.hasPrefix("<"), address.hasSuffix(">") { address = address.dropFirst().dropLast() }
        let sender = address.isEmpty ? "postmaster@\(helo)" : String(address)
        return await checkHost(ip: ip, domain: SPFSender(sender).domain, sender: sender, helo: helo)
    }

    /// The RFC's check_host(<ip>, <domain>, <sender>), with `helo` for `%{h}`.
    public func checkHost(ip: IPAddress, domain: String, sender: String, helo: String) async -> SPFVerdict {
        let checkedDomain = SPFEvaluation.canonical(domain)
        let evaluation = SPFEvaluation(
            resolver: resolver, ip: ip, sender: SPFSender(sender), helo: helo, receiver: receiver,
            timestamp: time(nil), deadline: .now + timeLimit
        )
        let verdict: SPFVerdict
        var reason = ""
        do {
            let outcome = try await evaluation.checkHost(domain)
            var explanation: String?
            if outcome.result == .fail, let source = outcome.explanation {
                explanation = await evaluation.explanation(source)
            }
            verdict = SPFVerdict(result: outcome.result, domain: checkedDomain, explanation: explanation)
        } catch {
            switch error {
            case let .permerror(why):
                reason = why
                verdict = SPFVerdict(result: .permerror, domain: checkedDomain)
            case let .temperror(why):
                reason = why
                verdict = SPFVerdict(result: .temperror, domain: checkedDomain)
            }
        }
        logger.debug("SPF check", metadata: [
            "spf.ip": "\(ip)", "spf.domain": "\(checkedDomain)", "spf.sender": "\(sender)", "spf.result": "\(verdict.result.rawValue)",
            "spf.reason": "\(reason)", "spf.dns_terms": "\(evaluation.dnsTerms)", "spf.void_lookups": "\(evaluation.voidLookups)",
        ])
        return verdict
    }
}
