/// What a security policy says about a piece of mail.
public enum PolicyDecision: Equatable, Sendable {
    case accept
    /// Permanently not acceptable; `reason` is for the SMTP reply and logs.
    case reject(reason: String)
    /// Not decidable now (a DNS temporary failure): the sender retries.
    case `defer`(reason: String)
}
