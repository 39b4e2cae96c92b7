public import ConduitCore
import ConduitPolicy

/// `require_dkim` / `allowed_dkim_domains` at end of DATA, on the verdicts of
/// the message's signatures (docs/DKIM.md).
public struct DKIMCheck: IngressCheck {
    public let name = "dkim"

    public init() {}

    public func endOfData(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) -> CheckAnswer {
        .decided(decision(policy, message))
    }

    private func decision(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) -> CheckDecision {
        switch SMTPPolicyEvaluator.checkDKIM(policy, verdicts: message.dkim) {
        case .accept: .accept
        case let .defer(reason): .defer(CheckReason(.dkimTemporary, reason))
        case let .reject(reason): .reject(CheckReason(.dkimFailed, reason))
        }
    }
}
