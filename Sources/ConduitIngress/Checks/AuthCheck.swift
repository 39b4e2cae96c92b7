public import ConduitCore
import ConduitPolicy

/// `require_smtp_auth`: the client must have authenticated (after STARTTLS,
/// if it used it) with one of this policy's credentials.
public struct AuthCheck: IngressCheck {
    public let name = "smtp_auth"

    public init() {}

    public func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) -> CheckAnswer {
        .decided(decision(policy, transaction))
    }

    private func decision(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) -> CheckDecision {
        switch SMTPPolicyEvaluator.checkAuth(policy, authenticatedPolicyIDs: transaction.authenticatedPolicyIDs) {
        case .accept: .accept
        case let .reject(reason), let .defer(reason): .reject(CheckReason(.authenticationRequired, reason))
        }
    }
}
