public import ConduitDNS
public import Logging

/// DMARC (RFC 9989) for one message: the author domain's policy found by the
/// DNS Tree Walk, SPF and DKIM identifier alignment, and the policy to
/// apply. A pure function of the `From:` field, the SPF and DKIM verdicts
/// already reached and the DNS answers; it applies nothing itself.
///
/// Lookups go through `resolver` (the server's `DNSResolver`, whose TTL
/// cache SPF and DKIM share); within one evaluation each `_dmarc` name is
/// asked at most once. A DNS failure the result depends on gives
/// `temperror`, never `fail`. The rules chosen where the RFC leaves room are
/// in docs/DMARC.md.
public struct DMARCEvaluator: Sendable {
    private let resolver: any DNSResolving
    private let logger: Logger

    public init(resolver: any DNSResolving, logger: Logger) {
        self.resolver = resolver
        self.logger = logger
    }

    /// DMARC for a message's header block (every byte up to the empty line,
    /// as `DKIMVerifier` takes it); the author domain comes from its one
    /// `From:` field, or the result is `permerror`.
    public func evaluate(headerBlock: [UInt8], spf: SPFVerdict?, dkim: [DKIMVerdict]) async -> DMARCVerdict {
        await evaluate(author: DMARCAuthorDomain.of(headerBlock: headerBlock), spf: spf, dkim: dkim)
    }

    /// DMARC for a whole message as received (bare LF read as CRLF), for
    /// the one-shot `conduit dmarc` and tests.
    public func evaluate(message: [UInt8], spf: SPFVerdict?, dkim: [DKIMVerdict]) async -> DMARCVerdict {
        await evaluate(headerBlock: Array(message[..<DKIMMessage.headerBlockLength(message)]), spf: spf, dkim: dkim)
    }

    /// DMARC given the values of the message's `From:` fields (the text after
    /// each colon), for callers that already split the header.
    public func evaluate(fromFieldValues: [String], spf: SPFVerdict?, dkim: [DKIMVerdict]) async -> DMARCVerdict {
        await evaluate(author: DMARCAuthorDomain.of(fromFieldValues: fromFieldValues), spf: spf, dkim: dkim)
    }

    /// DMARC for a known author domain. `spf` is the verdict for the
    /// RFC5321.MailFrom identity (its `domain`; for the null sender that is
    /// the HELO name, RFC 7208 §2.4); `dkim` one verdict per signature.
    public func evaluate(authorDomain: String, spf: SPFVerdict?, dkim: [DKIMVerdict]) async -> DMARCVerdict {
        await evaluate(author: DMARCAuthorDomain.domainName(authorDomain), spf: spf, dkim: dkim)
    }

    private func evaluate(author: Result<String, DMARCAuthorDomain.Failure>, spf: SPFVerdict?, dkim: [DKIMVerdict]) async -> DMARCVerdict {
        let verdict: DMARCVerdict
        switch author {
        case let .failure(failure):
            verdict = DMARCVerdict(result: .permerror, authorDomain: "", reason: failure.reason)
        case let .success(domain):
            verdict = await evaluate(domain: domain, spf: spf, dkim: dkim, walk: DMARCTreeWalk(resolver: resolver))
        }
        logger.debug("DMARC check", metadata: [
            "dmarc.result": "\(verdict.result.rawValue)", "dmarc.domain": "\(verdict.authorDomain)",
            "dmarc.policy_domain": "\(verdict.policyDomain ?? "")", "dmarc.org_domain": "\(verdict.organizationalDomain ?? "")",
            "dmarc.policy": "\(verdict.policy.rawValue)", "dmarc.spf_aligned": "\(verdict.spfAligned)",
            "dmarc.dkim_aligned": "\(verdict.dkimAligned)", "dmarc.reason": "\(verdict.reason ?? "")",
        ])
        return verdict
    }

    private func evaluate(domain: String, spf: SPFVerdict?, dkim: [DKIMVerdict], walk: DMARCTreeWalk) async -> DMARCVerdict {
        let policyDomain: String
        var record: DMARCRecord
        switch await walk.discoverPolicy(for: domain) {
        case let .temporaryFailure(reason):
            return DMARCVerdict(result: .temperror, authorDomain: domain, reason: "policy discovery: \(reason)")
        case .notFound:
            return DMARCVerdict(result: .none, authorDomain: domain, organizationalDomain: domain, reason: "no DMARC policy record")
        case let .found(found, parsed):
            (policyDomain, record) = (found, parsed)
        }
        let organizational = await walk.organizationalDomain(of: domain)
        if record.hasInvalidPolicy {
            // §4.7: act as if p=none was published when rua has a valid URI; otherwise no DMARC processing.
            guard record.hasValidAggregateReportURI else {
                return DMARCVerdict(
                    result: .none, authorDomain: domain, organizationalDomain: organizational, policyDomain: policyDomain,
                    record: record, reason: "invalid p, sp or np and no valid rua: no DMARC processing"
                )
            }
            (record.policy, record.subdomainPolicy, record.nonExistentSubdomainPolicy) = (DMARCPolicy.none, nil, nil)
        }

        let alignment = DMARCAlignment(walk: walk, authorDomain: domain)
        // nil: the identifier passed but its Organizational Domain could not be determined.
        var spfAligned: Bool? = false
        if let spf, spf.result == .pass {
            spfAligned = await alignment.isAligned(spf.domain, mode: record.spfAlignment)
        }
        var dkimAligned: Bool? = false
        for signature in dkim where signature.result == .pass {
            switch await alignment.isAligned(signature.domain, mode: record.dkimAlignment) {
            case true?: dkimAligned = true
            case nil where dkimAligned == false: dkimAligned = nil
            default: break
            }
            if dkimAligned == true { break }
        }

        var result: DMARCResult = spfAligned == true || dkimAligned == true ? .pass : (spfAligned == nil || dkimAligned == nil ? .temperror : .fail)
        var reason: String? = switch result {
        case .pass: nil
        case .temperror: "an identifier's Organizational Domain could not be determined"
        default: "no aligned identifier passed"
        }

        let published: DMARCPolicy
        if policyDomain == domain {
            published = record.policy ?? .none
        } else {
            let subdomain = record.subdomainPolicy ?? record.policy ?? .none
            let nonExistent = record.nonExistentSubdomainPolicy ?? subdomain
            if nonExistent == subdomain {
                published = subdomain
            } else {
                switch await DMARCDomainExistence.exists(domain, resolver: resolver) {
                case true?: published = subdomain
                case false?: published = nonExistent
                case nil:
                    published = subdomain
                    if result == .fail {
                        result = .temperror
                        reason = "whether \(domain) exists (np) could not be determined"
                    }
                }
            }
        }
        return DMARCVerdict(
            result: result, authorDomain: domain, organizationalDomain: organizational, policyDomain: policyDomain,
            record: record, policy: record.testing ? published.oneLevelLessStrict : published, publishedPolicy: published,
            spfAligned: spfAligned == true, dkimAligned: dkimAligned == true, reason: reason
        )
    }
}
