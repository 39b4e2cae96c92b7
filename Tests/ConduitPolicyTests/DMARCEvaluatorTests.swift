@testable import ConduitPolicy
import ConduitDNS
import Logging
import Testing

/// DMARC results (RFC 9989 §4.4, §4.7, §4.9) from SPF and DKIM verdicts
/// and a scripted DNS: alignment, p/sp/np, t=y, errors.
@Suite struct DMARCEvaluatorTests {
    static let zone: [String: [FakeDNS.Entry]] = [
        "_dmarc.example.com": [.txt("v=DMARC1; p=reject; sp=quarantine; np=reject")],
        "example.com": [.a("192.0.2.1")],
        "mail.example.com": [.mx(10, "mx.example.com")],
        "nodata.example.com": [.txt("not an address")],
        "_dmarc.strict.example": [.txt("v=DMARC1; p=quarantine; adkim=s; aspf=s")],
        "strict.example": [.a("192.0.2.2")],
        "_dmarc.testing.example": [.txt("v=DMARC1; p=reject; sp=quarantine; t=y")],
        "testing.example": [.a("192.0.2.3")],
        "sub.testing.example": [.a("192.0.2.4")],
        "_dmarc.plain.example": [.txt("v=DMARC1; p=quarantine")],
        "_dmarc.badp.example": [.txt("v=DMARC1; p=always; rua=mailto:d@badp.example")],
        "_dmarc.badp-norua.example": [.txt("v=DMARC1; p=always")],
        "_dmarc.flaky.example": [.txt("v=DMARC1; p=reject; np=reject; sp=none")],
        "gone.flaky.example": [.timeout(.a)],
    ]

    func evaluate(_ author: String, spf: (SPFResult, String)? = nil, dkim: [(DKIMResult, String)] = [],
                  zone: [String: [FakeDNS.Entry]] = zone) async -> DMARCVerdict {
        let evaluator = DMARCEvaluator(resolver: FakeDNS(zone), logger: Logger(label: "test"))
        return await evaluator.evaluate(
            fromFieldValues: [" Someone <someone@\(author)>"],
            spf: spf.map { SPFVerdict(result: $0.0, domain: $0.1) },
            dkim: dkim.map { DKIMVerdict(result: $0.0, domain: $0.1, selector: "s", algorithm: "rsa-sha256", reason: nil) }
        )
    }

    @Test func relaxedAlignmentThroughTheOrganizationalDomain() async {
        let spf = await evaluate("mail.example.com", spf: (.pass, "bounces.example.com"))
        #expect(spf.result == .pass)
        #expect(spf.spfAligned && !spf.dkimAligned)
        #expect(spf.organizationalDomain == "example.com")
        #expect(spf.policyDomain == "example.com")
        let dkim = await evaluate("example.com", dkim: [(.fail, "example.com"), (.pass, "signer.example.com")])
        #expect(dkim.result == .pass)
        #expect(dkim.dkimAligned && !dkim.spfAligned)
    }

    @Test func strictAlignmentNeedsTheSameName() async {
        let sub = await evaluate("strict.example", spf: (.pass, "mail.strict.example"), dkim: [(.pass, "mail.strict.example")])
        #expect(sub.result == .fail)
        #expect(sub.policy == .quarantine)
        #expect(!sub.spfAligned && !sub.dkimAligned)
        let same = await evaluate("strict.example", spf: (.pass, "STRICT.example."))
        #expect(same.result == .pass)
    }

    @Test func unrelatedOrFailingIdentifiersFail() async {
        let verdict = await evaluate("example.com", spf: (.softfail, "example.com"), dkim: [(.pass, "example.net"), (.temperror, "example.com")])
        #expect(verdict.result == .fail)
        #expect(verdict.policy == .reject)
        #expect(verdict.reason != nil)
    }

    @Test func policySelection() async {
        // p for the domain of the record, sp for an existing subdomain, np for one that does not exist.
        #expect(await evaluate("example.com").policy == .reject)
        #expect(await evaluate("mail.example.com").policy == .quarantine)
        let missing = await evaluate("nowhere.example.com")
        #expect(missing.policy == .reject)
        #expect(missing.publishedPolicy == .reject)
        // NODATA is not non-existence (RFC 9989 reads it as RFC 8020 does: only NXDOMAIN).
        #expect(await evaluate("nodata.example.com").policy == .quarantine)
        // sp absent: p applies to subdomains.
        #expect(await evaluate("a.plain.example").policy == .quarantine)
    }

    @Test func testModeAppliesOneLevelLessStrict() async {
        let top = await evaluate("testing.example")
        #expect(top.result == .fail)
        #expect(top.publishedPolicy == .reject)
        #expect(top.policy == .quarantine)
        #expect(await evaluate("sub.testing.example").policy == DMARCPolicy.none)
    }

    @Test func invalidPolicyWithValidRuaIsNone() async {
        let verdict = await evaluate("badp.example")
        #expect(verdict.result == .fail)
        #expect(verdict.policy == DMARCPolicy.none)
        let unusable = await evaluate("badp-norua.example")
        #expect(unusable.result == .none)
    }

    @Test func noRecordIsNone() async {
        let verdict = await evaluate("nowhere.example", spf: (.pass, "nowhere.example"))
        #expect(verdict.result == .none)
        #expect(verdict.policy == DMARCPolicy.none)
        #expect(verdict.organizationalDomain == "nowhere.example")
    }

    @Test func dnsFailuresAreTemperrors() async {
        let failing: [String: [FakeDNS.Entry]] = ["_dmarc.example.com": [.timeout(.txt)]]
        #expect(await evaluate("mail.example.com", zone: failing).result == .temperror)
        // The org domain of a passing identifier cannot be found: temperror, unless another identifier aligns.
        let zone: [String: [FakeDNS.Entry]] = [
            "_dmarc.example.com": [.txt("v=DMARC1; p=reject")], "_dmarc.com": [.timeout(.txt)],
        ]
        #expect(await evaluate("example.com", spf: (.pass, "mail.example.com"), zone: zone).result == .temperror)
        #expect(await evaluate("example.com", spf: (.pass, "mail.example.com"), dkim: [(.pass, "example.com")], zone: zone).result == .pass)
        // Whether the author domain exists cannot be told: a fail becomes temperror.
        let np = await evaluate("gone.flaky.example")
        #expect(np.result == .temperror)
    }

    @Test func authorDomainErrorsArePermerrors() async {
        let evaluator = DMARCEvaluator(resolver: FakeDNS(Self.zone), logger: Logger(label: "test"))
        let none = await evaluator.evaluate(fromFieldValues: [], spf: nil, dkim: [])
        #expect(none.result == .permerror)
        #expect(none.authorDomain == "")
        let two = await evaluator.evaluate(fromFieldValues: [" a@example.com, b@example.com"], spf: nil, dkim: [])
        #expect(two.result == .permerror)
        let message = Array("From: a@example.com\r\nFrom: b@example.com\r\n\r\nbody\r\n".utf8)
        #expect(await evaluator.evaluate(message: message, spf: nil, dkim: []).result == .permerror)
        let one = Array("From: a@example.com\r\n\r\nbody\r\n".utf8)
        #expect(await evaluator.evaluate(message: one, spf: nil, dkim: []).authorDomain == "example.com")
    }
}
