public import ConduitCore
import ConduitPolicy

/// `dmarc_enforcement = "reject"` at end of DATA, on the message's DMARC
/// verdict (docs/DMARC.md, "Enforcement"): `fail` under a policy to apply of
/// `reject` refuses the recipient, `temperror` defers the message, anything
/// else (`quarantine` included) is delivered with the verdict. A passing ARC
/// chain does not turn a `fail` into a pass (Conduit trusts no sealer); the
/// reason names the ARC result so the log row tells the receiver.
public struct DMARCCheck: IngressCheck {
    public let name = "dmarc"

    public init() {}

    public func endOfData(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) -> CheckAnswer {
        .decided(Self.decision(policy.dmarcEnforcement, dmarc: message.dmarc, arc: message.arc))
    }

    static func decision(_ enforcement: SMTPSecurityPolicy.DMARCEnforcement, dmarc: DMARCVerdict?, arc: ARCVerdict?) -> CheckDecision {
        guard enforcement == .reject, let dmarc else { return .accept }
        switch dmarc.result {
        case .fail where dmarc.policy == .reject:
            return .reject(CheckReason(.dmarcFailed, detail(dmarc, arc: arc)))
        case .temperror:
            return .defer(CheckReason(.dmarcTemporary, detail(dmarc, arc: arc)))
        case .fail, .pass, .none, .permerror:
            return .accept
        }
    }

    /// `dmarc=fail policy=reject header.from=example.com arc=pass`: what the
    /// log row's `error` and the reply say.
    static func detail(_ dmarc: DMARCVerdict, arc: ARCVerdict?) -> String {
        var text = "dmarc=\(dmarc.result.rawValue) policy=\(dmarc.policy.rawValue) header.from=\(dmarc.authorDomain)"
        if let arc {
            text += " arc=\(arc.result.rawValue)"
            if arc.instances > 0 { text += " arc.instances=\(arc.instances)" }
        }
        return text
    }
}
