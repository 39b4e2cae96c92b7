/// The outcome of DMARC for one message (RFC 9989 §4.9): what `conduit
/// dmarc` prints, and what the payload's `auth.dmarc` and SMTP enforcement
/// read.
public struct DMARCVerdict: Sendable, Equatable {
    public let result: DMARCResult
    /// The Author Domain (lower case, A-labels); empty for a `permerror`
    /// that found none.
    public let authorDomain: String
    /// The author domain's Organizational Domain (§4.10.2): the author
    /// domain itself when no record was found; `nil` for a `permerror`, or
    /// when a lookup failed before it was certain.
    public let organizationalDomain: String?
    /// Where the policy record was found: the author domain or an ancestor.
    public let policyDomain: String?
    /// The record that applies, as parsed.
    public let record: DMARCRecord?
    /// The Domain Owner Assessment Policy for this author domain (`p`, `sp`
    /// or `np` as §4.7 chooses), one level less strict under `t=y`. It is
    /// what a receiver applies when the result is `fail`; `none` when no
    /// record applies.
    public let policy: DMARCPolicy
    /// The policy as published, before `t=y`.
    public let publishedPolicy: DMARCPolicy
    /// Whether a passing SPF identifier is aligned with the author domain.
    public let spfAligned: Bool
    /// Whether some passing DKIM signature's `d=` is aligned with it.
    public let dkimAligned: Bool
    /// Why the result is not `pass`, for logs; `nil` on `pass`.
    public let reason: String?

    public init(
        result: DMARCResult, authorDomain: String, organizationalDomain: String? = nil, policyDomain: String? = nil,
        record: DMARCRecord? = nil, policy: DMARCPolicy = .none, publishedPolicy: DMARCPolicy = .none,
        spfAligned: Bool = false, dkimAligned: Bool = false, reason: String? = nil
    ) {
        self.result = result
        self.authorDomain = authorDomain
        self.organizationalDomain = organizationalDomain
        self.policyDomain = policyDomain
        self.record = record
        self.policy = policy
        self.publishedPolicy = publishedPolicy
        self.spfAligned = spfAligned
        self.dkimAligned = dkimAligned
        self.reason = reason
    }
}
