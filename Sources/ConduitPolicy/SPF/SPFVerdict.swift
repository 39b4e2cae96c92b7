/// The outcome of one SPF check: what `conduit spf` prints and the webhook's `auth.spf`.
public struct SPFVerdict: Sendable, Equatable {
    /// The RFC 7208 §2.6 result.
    public let result: SPFResult
    /// The domain whose policy was checked: the MAIL FROM domain, or the
    /// HELO name for the null sender (RFC 7208 §2.4), lowercased.
    public let domain: String
    /// The sender domain's explanation (its `exp=` text, macro-expanded),
    /// only for `fail` and only when the domain published a usable one.
    public let explanation: String?

    public init(result: SPFResult, domain: String, explanation: String? = nil) {
        self.result = result
        self.domain = domain
        self.explanation = explanation
    }
}
