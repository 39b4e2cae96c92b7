public import ConduitCore
import ConduitPolicy

/// `require_spf` / `allowed_spf_domains` at RCPT TO, on the transaction's one
/// SPF verdict (docs/SMTP.md, "Security policies"). The verdict is awaited
/// only for policies that use it, and not at all once it is known.
public struct SPFCheck: IngressCheck {
    public let name = "spf"

    public init() {}

    public func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) -> CheckAnswer {
        guard SMTPPolicyEvaluator.needsSPF(policy) else { return .decided(.accept) }
        if let verdict = transaction.finishedSPF { return .decided(Self.decision(policy, verdict)) }
        return .later { Self.decision(policy, await transaction.spf()) }
    }

    private static func decision(_ policy: SMTPSecurityPolicy, _ verdict: SPFVerdict) -> CheckDecision {
        switch SMTPPolicyEvaluator.checkSPF(policy, verdict: verdict) {
        case .accept: return .accept
        case let .defer(reason): return .defer(CheckReason(.spfTemporary, reason))
        case let .reject(reason): return .reject(CheckReason(.spfFailed, reason))
        }
    }
}
