import ConduitCore
import ConduitPolicy
import ConduitSMTP
import Logging

/// Running the registered checks (`backend.checks`) at each stage: the
/// first decision that is not `accept` wins, is logged with the check's
/// name, and `IngressRefusal` words the reply.
extension IngressSession {
    /// What the transaction has shown so far, for the checks.
    func transactionFacts() -> TransactionFacts {
        let spf = spfCheck ?? startSPFCheck()
        spfCheck = spf
        return TransactionFacts(
            connection: ConnectionFacts(clientIP: clientIP), helo: context.helo, tls: context.tls,
            authenticatedPolicyIDs: authenticatedPolicyIDs, mailFrom: mailFrom, spf: spf
        )
    }

    /// MAIL FROM: the connection stage (once per connection, its decision
    /// kept), then the MAIL stage. `nil` when every check accepts.
    func mailStageRefusal() async -> SMTPReply? {
        if connectDecision == nil {
            let facts = ConnectionFacts(clientIP: clientIP)
            var decided: (check: String, decision: CheckDecision) = ("", .accept)
            for check in backend.checks {
                let decision = await check.connect(facts)
                if decision != .accept { decided = (check.name, decision); break }
            }
            connectDecision = decided
        }
        if let (name, decision) = connectDecision, let reply = refusal(decision, check: name, stage: "connect", recipient: nil) {
            return reply
        }
        let facts = transactionFacts()
        for check in backend.checks {
            if let reply = refusal(await check.mail(facts), check: check.name, stage: "MAIL FROM", recipient: nil) { return reply }
        }
        return nil
    }

    /// RCPT TO of a recipient whose webhook has `policy`.
    func rcptStageRefusal(_ policy: SMTPSecurityPolicy, recipient: String) async -> SMTPReply? {
        let facts = transactionFacts()
        for check in backend.checks {
            if let reply = refusal(await check.rcpt(policy, facts), check: check.name, stage: "RCPT TO", recipient: recipient) {
                return reply
            }
        }
        return nil
    }

    /// End of DATA for one recipient with a policy: the first decision that
    /// is not `accept`, with the name of the check that made it.
    func endOfDataDecision(_ policy: SMTPSecurityPolicy, _ facts: MessageFacts) async -> (check: String, decision: CheckDecision)? {
        for check in backend.checks {
            let decision = await check.endOfData(policy, facts)
            if decision != .accept { return (check.name, decision) }
        }
        return nil
    }

    /// The reply for a decision, logged; `nil` for `accept`.
    private func refusal(_ decision: CheckDecision, check: String, stage: String, recipient: String?) -> SMTPReply? {
        let (reason, verb): (CheckReason, String)
        switch decision {
        case .accept: return nil
        case let .reject(why): (reason, verb) = (why, "refused")
        case let .defer(why): (reason, verb) = (why, "deferred")
        }
        logger.info("\(recipient == nil ? "transaction" : "recipient") \(verb) by a check", metadata: [
            "check": "\(check)", "stage": "\(stage)", "rcpt": "\(recipient ?? "")", "reason": "\(reason.detail)",
        ])
        return IngressRefusal.check(reason).reply(recipient: recipient)
    }
}
