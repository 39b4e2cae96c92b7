public import ConduitCore
import ConduitPolicy

/// `require_spf` / `allowed_spf_domains` at RCPT TO, on the transaction's one
/// SPF verdict (docs/SMTP.md, "Security policies"). The verdict is awaited
/// only for policies that use it.
public struct SPFCheck: IngressCheck {
    public let name = "spf"

    public init() {}

    public func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) async -> CheckDecision {
        guard SMTPPolicyEvaluator.needsSPF(policy) else { return .accept }
        switch SMTPPolicyEvaluator.checkSPF(policy, verdict: await transaction.spf()) {
        case .accept: return .accept
        case let .defer(reason): return .defer(CheckReason(.spfTemporary, reason))
        case let .reject(reason): return .reject(CheckReason(.spfFailed, reason))
        }
    }
}
