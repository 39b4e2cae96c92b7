public import ConduitCore
import ConduitPolicy

/// `allowed_source_ips`: the client's address must be in one of the
/// policy's addresses or CIDR ranges (an empty list allows any).
public struct SourceIPCheck: IngressCheck {
    public let name = "source_ip"

    public init() {}

    public func rcpt(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) -> CheckAnswer {
        .decided(decision(policy, transaction))
    }

    private func decision(_ policy: SMTPSecurityPolicy, _ transaction: TransactionFacts) -> CheckDecision {
        switch SMTPPolicyEvaluator.checkSource(policy, ip: transaction.connection.clientIP) {
        case .accept: .accept
        case let .reject(reason), let .defer(reason): .reject(CheckReason(.sourceNotPermitted, reason))
        }
    }
}
