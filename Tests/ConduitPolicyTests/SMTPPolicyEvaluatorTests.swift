import ConduitCore
import Foundation
import Testing
@testable import ConduitPolicy

@Suite struct SMTPPolicyEvaluatorTests {
    static func policy(_ edit: (inout SMTPSecurityPolicy) -> Void = { _ in }) -> SMTPSecurityPolicy {
        var policy = SMTPSecurityPolicy(id: "p1", accountID: "a1", name: "test", createdAt: Date(timeIntervalSince1970: 0))
        edit(&policy)
        return policy
    }

    static func dkim(_ result: DKIMResult, _ domain: String) -> DKIMVerdict {
        DKIMVerdict(result: result, domain: domain, selector: "s", algorithm: "rsa-sha256", reason: result == .pass ? nil : "why")
    }

    @Test func sourceAddresses() {
        let open = Self.policy()
        #expect(SMTPPolicyEvaluator.checkSource(open, ip: IPAddress("203.0.113.9")) == .accept)
        let listed = Self.policy { $0.allowedSourceIPs = ["192.0.2.0/24", "2001:db8::/32", "198.51.100.7/32"] }
        #expect(SMTPPolicyEvaluator.checkSource(listed, ip: IPAddress("192.0.2.200")) == .accept)
        #expect(SMTPPolicyEvaluator.checkSource(listed, ip: IPAddress("::ffff:192.0.2.1")) == .accept)
        #expect(SMTPPolicyEvaluator.checkSource(listed, ip: IPAddress("2001:db8:1::5")) == .accept)
        #expect(SMTPPolicyEvaluator.checkSource(listed, ip: IPAddress("198.51.100.7")) == .accept)
        #expect(SMTPPolicyEvaluator.checkSource(listed, ip: IPAddress("198.51.100.8")) != .accept)
        #expect(SMTPPolicyEvaluator.checkSource(listed, ip: IPAddress("2001:db9::1")) != .accept)
        #expect(SMTPPolicyEvaluator.checkSource(listed, ip: nil) != .accept)
    }

    @Test func smtpAuth() {
        let required = Self.policy { $0.requireSMTPAuth = true }
        #expect(SMTPPolicyEvaluator.checkAuth(required, authenticatedPolicyIDs: []) != .accept)
        #expect(SMTPPolicyEvaluator.checkAuth(required, authenticatedPolicyIDs: ["other"]) != .accept)
        #expect(SMTPPolicyEvaluator.checkAuth(required, authenticatedPolicyIDs: ["p1"]) == .accept)
        #expect(SMTPPolicyEvaluator.checkAuth(Self.policy(), authenticatedPolicyIDs: []) == .accept)
    }

    @Test func spf() {
        let none = Self.policy()
        #expect(SMTPPolicyEvaluator.checkSPF(none, verdict: SPFVerdict(result: .fail, domain: "x.example")) == .accept)
        let required = Self.policy { $0.requireSPF = true }
        #expect(SMTPPolicyEvaluator.checkSPF(required, verdict: SPFVerdict(result: .pass, domain: "x.example")) == .accept)
        for result in [SPFResult.fail, .softfail, .neutral, .none, .permerror] {
            guard case .reject = SMTPPolicyEvaluator.checkSPF(required, verdict: SPFVerdict(result: result, domain: "x.example")) else {
                Issue.record("\(result) should reject"); continue
            }
        }
        guard case .defer = SMTPPolicyEvaluator.checkSPF(required, verdict: SPFVerdict(result: .temperror, domain: "x.example")) else {
            Issue.record("temperror should defer"); return
        }
        // A list of domains is a requirement by itself.
        let listed = Self.policy { $0.allowedSPFDomains = ["good.example"] }
        #expect(SMTPPolicyEvaluator.needsSPF(listed))
        #expect(SMTPPolicyEvaluator.checkSPF(listed, verdict: SPFVerdict(result: .pass, domain: "GOOD.example")) == .accept)
        #expect(SMTPPolicyEvaluator.checkSPF(listed, verdict: SPFVerdict(result: .pass, domain: "bad.example")) != .accept)
    }

    @Test func dkim() {
        let required = Self.policy { $0.requireDKIM = true }
        #expect(SMTPPolicyEvaluator.checkDKIM(Self.policy(), verdicts: []) == .accept)
        #expect(SMTPPolicyEvaluator.checkDKIM(required, verdicts: []) == .reject(reason: "no DKIM signature"))
        #expect(SMTPPolicyEvaluator.checkDKIM(required, verdicts: [Self.dkim(.fail, "a.example"), Self.dkim(.pass, "b.example")]) == .accept)
        #expect(SMTPPolicyEvaluator.checkDKIM(required, verdicts: [Self.dkim(.fail, "a.example")]) == .reject(reason: "DKIM fail for a.example: why"))
        guard case .defer = SMTPPolicyEvaluator.checkDKIM(required, verdicts: [Self.dkim(.temperror, "a.example"), Self.dkim(.fail, "b.example")]) else {
            Issue.record("temperror without a pass should defer"); return
        }
        let listed = Self.policy { $0.allowedDKIMDomains = ["good.example"] }
        #expect(SMTPPolicyEvaluator.checkDKIM(listed, verdicts: [Self.dkim(.pass, "good.example")]) == .accept)
        #expect(SMTPPolicyEvaluator.checkDKIM(listed, verdicts: [Self.dkim(.pass, "other.example")]) != .accept)
    }
}
