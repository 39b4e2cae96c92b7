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
///
/// Hooks run on the connection's event loop and must not block it: a check
/// that can decide from what it is given answers `.decided`; one that must
/// wait (for DNS, say) answers `.later` with the work, which then runs in a
/// task while the SMTP reply waits for it.
public protocol IngressCheck: Sendable {
    /// Names the check in logs.
    var name: String { get }
    /// Once per connection, before its first transaction.
    func connect(_ connection: ConnectionFacts) -> CheckAnswer
    /// MAIL FROM.
    func mail(_ transaction: TransactionFacts) -> CheckAnswer
    /// RCPT TO of a recipient whose webhook has a security policy.
    func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) -> CheckAnswer
    /// End of DATA, once per accepted recipient whose webhook has a
    /// security policy. A refusal drops that recipient (with a delivery-log
    /// row); a deferral answers the whole message with a temporary failure.
    func endOfData(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) -> CheckAnswer
}

extension IngressCheck {
    public func connect(_ connection: ConnectionFacts) -> CheckAnswer { .decided(.accept) }
    public func mail(_ transaction: TransactionFacts) -> CheckAnswer { .decided(.accept) }
    public func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) -> CheckAnswer { .decided(.accept) }
    public func endOfData(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) -> CheckAnswer { .decided(.accept) }
}

/// A hook's answer: its decision now, or the work that will make it.
public enum CheckAnswer: Sendable {
    case decided(CheckDecision)
    /// Runs in a task, off the event loop; the SMTP reply waits for it.
    case later(@Sendable () async -> CheckDecision)

    /// The decision, waiting for it when it comes later.
    func decision() async -> CheckDecision {
        switch self {
        case let .decided(decision): decision
        case let .later(work): await work()
        }
    }
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
    /// The transaction's SPF check, shared by every check and recipient that
    /// asks (one evaluation per transaction, started on first demand).
    let spfLookup: SPFLookup

    init(connection: ConnectionFacts, helo: String, tls: Bool, authenticatedPolicyIDs: Set<String>, mailFrom: String,
         spf: SPFLookup) {
        self.connection = connection
        self.helo = helo
        self.tls = tls
        self.authenticatedPolicyIDs = authenticatedPolicyIDs
        self.mailFrom = mailFrom
        self.spfLookup = spf
    }

    /// The SPF verdict for MAIL FROM (or HELO for the null sender).
    public func spf() async -> SPFVerdict { await spfLookup.verdict() }

    /// The SPF verdict if the check has already finished: a hook can decide
    /// at once with it instead of answering `.later`.
    public var finishedSPF: SPFVerdict? { spfLookup.finished }
}

/// What end of DATA adds: the DKIM verdicts of the message's signatures
/// (empty when it has none), and the DMARC and ARC verdicts (`nil` when
/// `[smtp] dmarc = false`).
public struct MessageFacts: Sendable {
    public var transaction: TransactionFacts
    public var dkim: [DKIMVerdict]
    public var dmarc: DMARCVerdict?
    public var arc: ARCVerdict?

    public init(transaction: TransactionFacts, dkim: [DKIMVerdict], dmarc: DMARCVerdict? = nil, arc: ARCVerdict? = nil) {
        self.transaction = transaction
        self.dkim = dkim
        self.dmarc = dmarc
        self.arc = arc
    }
}
