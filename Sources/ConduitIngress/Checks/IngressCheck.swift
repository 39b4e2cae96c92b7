public import ConduitCore
public import ConduitPolicy

/// One SMTP-time check (maddy's `check/*` modules are the model): a value
/// with a hook per stage of the transaction, each returning a decision with
/// a reason. `IngressSession` runs the registered list (`IngressChecks`) in
/// order at every stage and turns the first non-accepting decision into the
/// SMTP reply `IngressRefusal` maps its reason to; a check never builds a
/// reply itself. Every hook accepts by default, so a check implements only
/// the stages it cares about.
///
/// The connection and MAIL stages know no recipient, so no policy: they are
/// for checks of the client itself. As with Postfix's default
/// `smtpd_delay_reject = yes`, a connection-stage refusal is answered at
/// MAIL FROM, when the client can hear an SMTP reply that names it.
public protocol IngressCheck: Sendable {
    /// Names the check in logs.
    var name: String { get }
    /// Once per connection, before its first transaction.
    func connect(_ connection: ConnectionFacts) async -> CheckDecision
    /// MAIL FROM.
    func mail(_ transaction: TransactionFacts) async -> CheckDecision
    /// RCPT TO of a recipient whose webhook has a security policy.
    func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) async -> CheckDecision
    /// End of DATA, once per accepted recipient whose webhook has a
    /// security policy. A refusal drops that recipient (with a delivery-log
    /// row); a deferral answers the whole message with a temporary failure.
    func endOfData(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) async -> CheckDecision
}

extension IngressCheck {
    public func connect(_ connection: ConnectionFacts) async -> CheckDecision { .accept }
    public func mail(_ transaction: TransactionFacts) async -> CheckDecision { .accept }
    public func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) async -> CheckDecision { .accept }
    public func endOfData(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) async -> CheckDecision { .accept }
}

/// What a check decided.
public enum CheckDecision: Sendable, Equatable {
    case accept
    /// Permanently not acceptable.
    case reject(CheckReason)
    /// Not decidable now (e.g. a DNS temporary failure): the sender retries.
    case `defer`(CheckReason)
}

/// What the connection has shown: fixed when it was accepted.
public struct ConnectionFacts: Sendable {
    /// The client's address; `nil` when it does not parse (never for TCP peers).
    public var clientIP: IPAddress?

    public init(clientIP: IPAddress?) {
        self.clientIP = clientIP
    }
}

/// What the transaction has shown by the time of a hook.
public struct TransactionFacts: Sendable {
    public var connection: ConnectionFacts
    /// The EHLO/HELO argument.
    public var helo: String
    /// Whether the session runs inside TLS.
    public var tls: Bool
    /// Policies whose SMTP AUTH credentials the client authenticated with.
    public var authenticatedPolicyIDs: Set<String>
    /// MAIL FROM as `local@domain`, `""` for the null sender.
    public var mailFrom: String
    /// The transaction's SPF check, started at MAIL FROM and shared by every
    /// check and recipient that asks (one evaluation per transaction).
    var spfCheck: Task<SPFVerdict, Never>

    public init(connection: ConnectionFacts, helo: String, tls: Bool, authenticatedPolicyIDs: Set<String>, mailFrom: String,
                spf: Task<SPFVerdict, Never>) {
        self.connection = connection
        self.helo = helo
        self.tls = tls
        self.authenticatedPolicyIDs = authenticatedPolicyIDs
        self.mailFrom = mailFrom
        self.spfCheck = spf
    }

    /// The SPF verdict for MAIL FROM (or HELO for the null sender).
    public func spf() async -> SPFVerdict { await spfCheck.value }
}

/// What end of DATA adds: the DKIM verdicts of the message's signatures
/// (empty when it has none).
public struct MessageFacts: Sendable {
    public var transaction: TransactionFacts
    public var dkim: [DKIMVerdict]

    public init(transaction: TransactionFacts, dkim: [DKIMVerdict]) {
        self.transaction = transaction
        self.dkim = dkim
    }
}
