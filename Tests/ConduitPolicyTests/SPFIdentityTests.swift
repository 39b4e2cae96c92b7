import ConduitDNS
@testable import ConduitPolicy
import Testing

/// Which identity is checked, initial processing (RFC 7208 §2.4, §4.3) and
/// record selection (§4.4, §4.5).
@Suite struct SPFIdentityTests {
    let zone: [String: [FakeDNS.Entry]] = [
        "example.com": [.txt("v=spf1 -all exp=why.example.com")],
        "why.example.com": [.txt("%{s}")],
        "mail.example.org": [.txt("v=spf1 a -all"), .a("192.0.2.25")],
    ]

    @Test func nullSenderChecksHELO() async {
        let fixture = SPFFixture(zone)
        #expect(await fixture.check("192.0.2.25", "", helo: "mail.example.org") == SPFVerdict(result: .pass, domain: "mail.example.org"))
        #expect(await fixture.check("192.0.2.26", "<>", helo: "Mail.Example.org.") == SPFVerdict(result: .fail, domain: "mail.example.org"))
    }

    @Test func missingLocalPartIsPostmaster() async {
        let fixture = SPFFixture(zone)
        #expect(await fixture.check("192.0.2.1", "@example.com").explanation == "postmaster@example.com")
        #expect(await fixture.check("192.0.2.1", "<Bob@example.com>").explanation == "Bob@example.com")
        #expect(await fixture.check("192.0.2.1", "example.com").explanation == "postmaster@example.com")
        #expect(await fixture.check("192.0.2.1", "", helo: "example.com").explanation == "postmaster@example.com")
    }

    @Test(arguments: [
        "a@A123456789012345678901234567890123456789012345678901234567890123.example.com",  // 64-byte label
        "a@a...example.com", "a@[192.0.2.1]", "a@192.0.2.1", "a@localhost", "a@", "a@example.-com",
    ])
    func malformedDomainsAreNone(mailFrom: String) async {
        let fixture = SPFFixture(zone)
        #expect(await fixture.result("192.0.2.1", mailFrom) == .none)
        #expect(fixture.dns.queries.isEmpty)
    }

    @Test func recordSelection() async {
        let fixture = SPFFixture([
            "none.example.com": [.txt("v=spf10 -all"), .txt("spf1 -all"), .strings(["v=spf1", "-all"])],
            "two.example.com": [.txt("v=spf1 -all"), .txt("V=SPF1 +all"), .txt("other")],
            "typed.example.com": [.spf("v=spf1 -all")],
            "split.example.com": [.strings(["v=spf1 ip4:", "192.0.2.5 -all"]), .strings([])],
            "temp.example.com": [.timeout(.txt)],
        ])
        #expect(await fixture.result("192.0.2.5", "a@none.example.com") == .none)
        #expect(await fixture.result("192.0.2.5", "a@nxdomain.example.com") == .none)
        #expect(await fixture.result("192.0.2.5", "a@two.example.com") == .permerror)
        #expect(await fixture.result("192.0.2.5", "a@typed.example.com") == .none, "type 99 is not consulted")
        #expect(!fixture.dns.queries.contains { $0.hasPrefix("SPF ") })
        #expect(await fixture.result("192.0.2.5", "a@split.example.com") == .pass, "strings join with no space; an empty TXT is not SPF")
        #expect(await fixture.result("192.0.2.5", "a@temp.example.com") == .temperror)
    }
}
