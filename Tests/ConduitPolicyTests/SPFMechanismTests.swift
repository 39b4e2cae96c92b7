import ConduitDNS
@testable import ConduitPolicy
import Testing

/// Each mechanism of RFC 7208 §5 against an in-memory DNS.
@Suite struct SPFMechanismTests {
    @Test func allAndQualifiers() async {
        let fixture = SPFFixture([
            "pass.example.com": [.txt("v=spf1 +all")], "fail.example.com": [.txt("v=spf1 -all")],
            "soft.example.com": [.txt("v=spf1 ~all")], "neutral.example.com": [.txt("v=spf1 ?all")],
            "empty.example.com": [.txt("v=spf1")], "first.example.com": [.txt("v=spf1 all -all")],
        ])
        #expect(await fixture.result("192.0.2.1", "a@pass.example.com") == .pass)
        #expect(await fixture.result("192.0.2.1", "a@fail.example.com") == .fail)
        #expect(await fixture.result("192.0.2.1", "a@soft.example.com") == .softfail)
        #expect(await fixture.result("192.0.2.1", "a@neutral.example.com") == .neutral)
        #expect(await fixture.result("192.0.2.1", "a@empty.example.com") == .neutral)
        #expect(await fixture.result("192.0.2.1", "a@first.example.com") == .pass)
    }

    @Test func ip4AndIP6() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 ip4:198.51.100.7 -all")],
            "v6any.example.com": [.txt("v=spf1 ip6:::/0 -all")],
        ])
        #expect(await fixture.result("192.0.2.200", "a@example.com") == .pass)
        #expect(await fixture.result("198.51.100.7", "a@example.com") == .pass)
        #expect(await fixture.result("198.51.100.8", "a@example.com") == .fail)
        #expect(await fixture.result("2001:db8:1::5", "a@example.com") == .pass)
        #expect(await fixture.result("2001:db9::5", "a@example.com") == .fail)
        // An IPv4-mapped IPv6 client is an IPv4 client (§5): ip4 matches, ip6 never does.
        #expect(await fixture.result("::ffff:192.0.2.9", "a@example.com") == .pass)
        #expect(await fixture.result("::ffff:192.0.2.9", "a@v6any.example.com") == .fail)
        #expect(await fixture.result("2001:db8::1", "a@v6any.example.com") == .pass)
    }

    @Test func aWithDualCIDR() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 a -all"), .a("192.0.2.10"), .aaaa("2001:db8::10")],
            "cidr.example.com": [.txt("v=spf1 a:hosts.example.com/24//64 -all")],
            "hosts.example.com": [.a("198.51.100.1"), .a("192.0.2.77"), .aaaa("2001:db8:1234::dead:beef")],
            "none.example.com": [.txt("v=spf1 a/0 -all")],
        ])
        #expect(await fixture.result("192.0.2.10", "a@example.com") == .pass)
        #expect(await fixture.result("192.0.2.11", "a@example.com") == .fail)
        #expect(await fixture.result("2001:db8::10", "a@example.com") == .pass)
        #expect(await fixture.result("192.0.2.1", "a@cidr.example.com") == .pass)
        #expect(await fixture.result("2001:db8:1234::cafe", "a@cidr.example.com") == .pass)
        #expect(await fixture.result("2001:db8:1235::cafe", "a@cidr.example.com") == .fail)
        #expect(await fixture.result("192.0.2.1", "a@none.example.com") == .fail, "no A records: no match, even with /0")
        #expect(fixture.dns.queries.contains("AAAA cidr.example.com") == false)
    }

    @Test func mx() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 mx -all"), .mx(10, "mx1.example.com"), .mx(20, "mx2.example.com")],
            "mx1.example.com": [.a("192.0.2.1")],
            "mx2.example.com": [.a("192.0.2.2"), .aaaa("2001:db8::2")],
            "implicit.example.com": [.txt("v=spf1 mx ?all"), .a("192.0.2.3")],
            "nullmx.example.com": [.txt("v=spf1 mx ?all"), .mx(0, ".")],
            "other.example.com": [.txt("v=spf1 mx:example.com/24 -all")],
        ])
        #expect(await fixture.result("192.0.2.2", "a@example.com") == .pass)
        #expect(await fixture.result("2001:db8::2", "a@example.com") == .pass)
        #expect(await fixture.result("192.0.2.3", "a@example.com") == .fail)
        // No MX: the domain is not its own MX (§5.4).
        #expect(await fixture.result("192.0.2.3", "a@implicit.example.com") == .neutral)
        #expect(await fixture.result("192.0.2.3", "a@nullmx.example.com") == .neutral)
        #expect(await fixture.result("192.0.2.200", "a@other.example.com") == .pass)
    }

    @Test func ptr() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 ptr -all")],
            "other.example.com": [.txt("v=spf1 ptr:Example.COM -all")],
            "4.2.0.192.in-addr.arpa": [.ptr("mail.example.com"), .ptr("forged.example.com")],
            "mail.example.com": [.a("192.0.2.4")],
            "forged.example.com": [.a("192.0.2.99")],
            "5.2.0.192.in-addr.arpa": [.ptr("forged.example.com")],
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa": [.ptr("v6.Example.com.")],
            "v6.example.com": [.aaaa("2001:db8::1")],
            "6.2.0.192.in-addr.arpa": [.ptr("loop.example.com"), .ptr("mail6.example.com")],
            "loop.example.com": [.timeout(.a)],
            "mail6.example.com": [.a("192.0.2.6")],
        ])
        #expect(await fixture.result("192.0.2.4", "a@example.com") == .pass)
        #expect(await fixture.result("192.0.2.4", "a@other.example.com") == .pass)
        #expect(await fixture.result("192.0.2.5", "a@example.com") == .fail, "the PTR name does not validate")
        #expect(await fixture.result("2001:db8::1", "a@example.com") == .pass)
        #expect(await fixture.result("192.0.2.7", "a@example.com") == .fail, "no PTR record")
        // A DNS error on one name's address lookup skips that name (§5.5).
        #expect(await fixture.result("192.0.2.6", "a@example.com") == .pass)
    }

    @Test func ptrLookupFailureIsNoMatch() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 ptr ?all")],
            "4.2.0.192.in-addr.arpa": [.timeout(.ptr)],
        ])
        #expect(await fixture.result("192.0.2.4", "a@example.com") == .neutral)
    }

    @Test func exists() async {
        let fixture = SPFFixture([
            "example.com": [.txt("v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} -all")],
            "4.2.0.192.alice._spf.example.com": [.a("127.0.0.2")],
            "v6only.example.com": [.txt("v=spf1 exists:mail6.example.com -all")],
            "mail6.example.com": [.aaaa("2001:db8::6")],
        ])
        #expect(await fixture.result("192.0.2.4", "alice@example.com") == .pass)
        #expect(await fixture.result("192.0.2.4", "bob@example.com") == .fail)
        // exists always asks for A, even for an IPv6 client (§5.7).
        #expect(await fixture.result("2001:db8::6", "a@v6only.example.com") == .fail)
    }

    @Test func include() async {
        let fixture = SPFFixture([
            "pass.example.com": [.txt("v=spf1 include:ok.example.net -all")],
            "ok.example.net": [.txt("v=spf1 ip4:192.0.2.0/24 -all")],
            "soft.example.com": [.txt("v=spf1 include:softer.example.net ?all")],
            "softer.example.net": [.txt("v=spf1 ~all")],
            "none.example.com": [.txt("v=spf1 include:nothing.example.net -all")],
            "perm.example.com": [.txt("v=spf1 include:broken.example.net -all")],
            "broken.example.net": [.txt("v=spf1 include +all")],
            "temp.example.com": [.txt("v=spf1 include:slow.example.net -all")],
            "slow.example.net": [.timeout(.txt)],
        ])
        #expect(await fixture.result("192.0.2.1", "a@pass.example.com") == .pass)
        #expect(await fixture.result("198.51.100.1", "a@pass.example.com") == .fail, "an included fail is no match")
        #expect(await fixture.result("192.0.2.1", "a@soft.example.com") == .neutral, "an included softfail is no match")
        #expect(await fixture.result("192.0.2.1", "a@none.example.com") == .permerror, "an included none is permerror")
        #expect(await fixture.result("192.0.2.1", "a@perm.example.com") == .permerror)
        #expect(await fixture.result("192.0.2.1", "a@temp.example.com") == .temperror)
    }

    @Test func dnsFailuresInMechanismsAreTemperror() async {
        let fixture = SPFFixture([
            "a.example.com": [.txt("v=spf1 a:slow.example.com -all")],
            "mx.example.com": [.txt("v=spf1 mx:slow.example.com -all")],
            "exists.example.com": [.txt("v=spf1 exists:slow.example.com -all")],
            "slow.example.com": [.timeout(.a), .timeout(.mx)],
        ])
        #expect(await fixture.result("192.0.2.1", "a@a.example.com") == .temperror)
        #expect(await fixture.result("192.0.2.1", "a@mx.example.com") == .temperror)
        #expect(await fixture.result("192.0.2.1", "a@exists.example.com") == .temperror)
    }
}
