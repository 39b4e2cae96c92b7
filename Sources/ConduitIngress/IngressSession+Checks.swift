import ConduitCore
import ConduitPolicy
import ConduitSMTP
import Logging
import NIOCore

/// A check's decision that is not `accept`, with the check's name.
struct Objection: Sendable {
    var check: String
    var decision: CheckDecision
}

/// Running the registered checks (`backend.checks`) at each stage: the
/// first decision that is not `accept` wins, is logged with the check's
/// name, and `IngressRefusal` words the reply.
extension IngressSession {
    /// What the transaction has shown so far, for the checks.
    func transactionFacts() -> TransactionFacts {
        TransactionFacts(
            connection: ConnectionFacts(clientIP: clientIP), helo: context.helo, tls: context.tls,
            authenticatedPolicyIDs: authenticatedPolicyIDs, mailFrom: mailFrom, spf: transactionSPF()
        )
    }

    /// The transaction's SPF check, made if need be (not started).
    func transactionSPF() -> SPFLookup {
        let spf = spf ?? makeSPFLookup()
        self.spf = spf
        return spf
    }

    /// MAIL FROM: the connection stage (once per connection, its decision
    /// kept), then the MAIL stage. `nil` when every check accepts.
    func mailStageRefusal() -> Eventual<SMTPReply?> {
        let connect: Eventual<Objection?>
        if let connectDecision {
            connect = .now(connectDecision)
        } else {
            let facts = ConnectionFacts(clientIP: clientIP)
            connect = firstObjection { $0.connect(facts) }.then { objection in
                self.connectDecision = objection ?? Objection(check: "", decision: .accept)
                return .now(objection)
            }
        }
        let facts = transactionFacts()
        return connect.then { objection in
            if let objection, let reply = self.refusal(objection.decision, check: objection.check, stage: "connect", recipient: nil) {
                return .now(reply)
            }
            return self.firstObjection { $0.mail(facts) }.then { objection in
                .now(objection.flatMap { self.refusal($0.decision, check: $0.check, stage: "MAIL FROM", recipient: nil) })
            }
        }
    }

    /// RCPT TO of a recipient whose webhook has `policy`.
    func rcptStageRefusal(_ policy: SMTPSecurityPolicy, recipient: String) -> Eventual<SMTPReply?> {
        let facts = transactionFacts()
        return firstObjection { $0.rcpt(policy, facts) }.then { objection in
            .now(objection.flatMap { self.refusal($0.decision, check: $0.check, stage: "RCPT TO", recipient: recipient) })
        }
    }

    /// The first objection of the checks, in order: asked on the event loop
    /// while each decides at once; from the first that answers `.later`, the
    /// rest are asked in that one task. `ask` may run off the loop, so it
    /// must use only the facts it captured.
    private func firstObjection(_ ask: @escaping @Sendable (any IngressCheck) -> CheckAnswer) -> Eventual<Objection?> {
        let checks = backend.checks
        for (index, check) in checks.enumerated() {
            switch ask(check) {
            case let .decided(decision):
                if decision != .accept { return .now(Objection(check: check.name, decision: decision)) }
            case let .later(work):
                let (name, rest) = (check.name, checks[(index + 1)...])
                return .later(eventLoop.makeFutureWithTask { () async -> Objection? in
                    let decision = await work()
                    if decision != .accept { return Objection(check: name, decision: decision) }
                    for check in rest {
                        let decision = await ask(check).decision()
                        if decision != .accept { return Objection(check: check.name, decision: decision) }
                    }
                    return nil
                })
            }
        }
        return .now(nil)
    }
}

/// What the session and its end of DATA share.
protocol IngressParts {
    var backend: IngressBackend { get }
    /// The connection's logger (its peer in the metadata).
    var logger: Logger { get }
}

extension IngressParts {
    /// End of DATA for one recipient with a policy: the first decision that
    /// is not `accept`, with the name of the check that made it.
    func endOfDataDecision(_ policy: SMTPSecurityPolicy, _ facts: MessageFacts) async -> Objection? {
        for check in backend.checks {
            let decision = await check.endOfData(policy, facts).decision()
            if decision != .accept { return Objection(check: check.name, decision: decision) }
        }
        return nil
    }

    /// The reply for a decision, logged; `nil` for `accept`.
    func refusal(_ decision: CheckDecision, check: String, stage: String, recipient: String?) -> SMTPReply? {
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
