import ConduitDNS
@testable import ConduitPolicy
import Testing

/// `redirect=`, `exp=` and unknown modifiers (RFC 7208 §6).
@Suite struct SPFModifierTests {
    @Test func redirect() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 ip4:198.51.100.1 redirect=_spf.example.net"), .a("192.0.2.200")],
            "_spf.example.net": [.txt("v=spf1 a -all"), .a("192.0.2.1")],
            "nowhere.example.com": [.txt("v=spf1 redirect=missing.example.net")],
            "ignored.example.com": [.txt("v=spf1 redirect=_spf.example.net ~all")],
        ])
        #expect(await fixture.result("198.51.100.1", "a@example.com") == .pass)
        // The redirect target's `a` means the target's own addresses (%{d} changes).
        #expect(await fixture.result("192.0.2.1", "a@example.com") == .pass)
        #expect(await fixture.result("192.0.2.200", "a@example.com") == .fail)
        #expect(await fixture.result("192.0.2.1", "a@nowhere.example.com") == .permerror, "a redirect to no record is permerror")
        #expect(await fixture.result("192.0.2.1", "a@ignored.example.com") == .softfail, "all wins over redirect")
    }

    @Test func explanation() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 ~all -ip4:192.0.2.0/24 exp=why.%{d}")],
            "why.example.com": [.strings(["%{i} is not one of ", "%{d}'s senders; ask %{l}@%{o} (%{r})"])],
        ])
        #expect(await fixture.check("192.0.2.9", "bob@example.com") == SPFVerdict(
            result: .softfail, domain: "example.com", explanation: nil
        ))
        let exp = SPFFixture([
            "example.com": [.txt("v=spf1 -ip4:192.0.2.0/24 ~all exp=why.%{d}")],
            "why.example.com": [.strings(["%{i} is not one of ", "%{d}'s senders; ask %{l}@%{o} (%{r})"])],
        ])
        #expect(await exp.check("192.0.2.9", "bob@Example.com") == SPFVerdict(
            result: .fail, domain: "example.com", explanation: "192.0.2.9 is not one of Example.com's senders; ask bob@Example.com (mx.conduit.test)"
        ))
    }

    @Test(arguments: [
        [FakeDNS.Entry.txt("one"), .txt("two")],  // more than one record
        [.a("192.0.2.1")],  // no TXT record
        [.timeout(.txt)],  // a DNS error
        [.txt("The %{x}-files.")],  // a bad macro
        [.txt("\u{FEFF}Explanation")],  // not ASCII
    ])
    func unusableExplanationsAreIgnored(entries: [FakeDNS.Entry]) async {
        let fixture = SPFFixture(["example.com": [.txt("v=spf1 -all exp=why.example.com")], "why.example.com": entries])
        #expect(await fixture.check("192.0.2.1", "a@example.com") == SPFVerdict(result: .fail, domain: "example.com"))
    }

    @Test func explanationComesFromTheRecordThatFailed() async {
        let fixture = SPFFixture([
            "redirecting.example.com": [.txt("v=spf1 exp=first.example.com redirect=target.example.com")],
            "target.example.com": [.txt("v=spf1 -all exp=second.example.com")],
            "including.example.com": [.txt("v=spf1 include:target.example.com -all exp=third.example.com")],
            "first.example.com": [.txt("first")], "second.example.com": [.txt("second")], "third.example.com": [.txt("third")],
        ])
        #expect(await fixture.check("192.0.2.1", "a@redirecting.example.com").explanation == "second")
        #expect(await fixture.check("192.0.2.1", "a@including.example.com").explanation == "third")
    }

    @Test func unknownModifiersAreIgnored() async {
        let fixture = SPFFixture(["example.com": [.txt("v=spf1 default=pass ?all foo=%{d}.bar")]])
        #expect(await fixture.result("192.0.2.1", "a@example.com") == .neutral)
    }
}
