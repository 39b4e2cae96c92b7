/// The outcome of checking one DKIM-Signature header field (RFC 6376 §6,
/// named as RFC 8601 §2.7.1 names results).
public struct DKIMVerdict: Sendable, Equatable {
    /// `pass`, `fail` (the signature or body hash does not verify, or the key
    /// was revoked), `neutral` (the field is not a valid tag list), `temperror`
    /// (the key lookup failed for now), `permerror` (the signature or key
    /// cannot be used: missing or malformed tags, no key, unsupported
    /// algorithm, expired) or `policy` (not checked: too many signatures).
    public let result: DKIMResult
    /// The signing domain (`d=`) as written; empty when it could not be read.
    public let domain: String
    /// The selector (`s=`) as written; empty when it could not be read.
    public let selector: String
    /// The signing algorithm (`a=`) in lower case, e.g. `rsa-sha256`; empty
    /// when it could not be read.
    public let algorithm: String
    /// Why the result is not `pass`, for logs; `nil` on `pass`.
    public let reason: String?

    /// A verdict as the verifier gives it (also for fakes in other modules' tests).
    public init(result: DKIMResult, domain: String, selector: String, algorithm: String, reason: String?) {
        self.result = result
        self.domain = domain
        self.selector = selector
        self.algorithm = algorithm
        self.reason = reason
    }
}
