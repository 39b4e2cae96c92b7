/// Why a check (or the ingress itself) turned a recipient or a message
/// away. `IngressRefusal.reply(for:recipient:)` is the one table from these
/// to SMTP replies; `detail` goes to logs, delivery-log rows and — where the
/// table says so — the reply text.
public struct CheckReason: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `allowed_source_ips` does not contain the client.
        case sourceNotPermitted
        /// `require_smtp_auth` and the client did not authenticate with this policy's credentials.
        case authenticationRequired
        /// SPF could not be evaluated now (temperror).
        case spfTemporary
        /// SPF did not pass, or passed for a domain the policy does not allow.
        case spfFailed
        /// A DKIM signature could not be checked now and none passed.
        case dkimTemporary
        /// No passing DKIM signature from an allowed domain.
        case dkimFailed
        /// DMARC could not be evaluated now (temperror) under `dmarc_enforcement = "reject"`.
        case dmarcTemporary
        /// DMARC `fail` with the author domain's policy `reject`, under `dmarc_enforcement = "reject"`.
        case dmarcFailed
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }
}
