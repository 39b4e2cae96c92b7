import ConduitDNS
@testable import ConduitPolicy
import Testing

/// The processing limits of RFC 7208 §4.6.4.
@Suite struct SPFLimitTests {
    @Test func tenDNSTermsAndNoMore() async {
        var zone: [String: [FakeDNS.Entry]] = [
            "at.example.com": [.txt("v=spf1 a mx a mx a mx a mx a ptr ip4:192.0.2.1 -all")],
            "over.example.com": [.txt("v=spf1 a mx a mx a mx a mx a ptr a ip4:192.0.2.1 -all")],
            "include.example.com": [.txt("v=spf1 a include:inner.example.com a ip4:192.0.2.1 -all")],
            "inner.example.com": [.txt("v=spf1 a a a a a a a a")],
            "loop.example.com": [.txt("v=spf1 ip4:198.51.100.1 redirect=loop.example.com")],
            "ping.example.com": [.txt("v=spf1 include:pong.example.com")],
            "pong.example.com": [.txt("v=spf1 include:ping.example.com")],
        ]
        for name in ["at", "over", "include", "inner"] {
            zone["\(name).example.com"]?.append(.a("198.51.100.9"))
            zone["\(name).example.com"]?.append(.mx(10, "\(name).example.com"))
        }
        let fixture = SPFFixture(zone)
        #expect(await fixture.result("192.0.2.1", "a@at.example.com") == .pass)
        #expect(await fixture.result("192.0.2.1", "a@over.example.com") == .permerror)
        #expect(await fixture.result("192.0.2.1", "a@include.example.com") == .permerror, "terms of included records count too")
        #expect(await fixture.result("192.0.2.1", "a@loop.example.com") == .permerror)
        #expect(await fixture.result("192.0.2.1", "a@ping.example.com") == .permerror)
    }

    @Test func twoVoidLookupsAndNoMore() async {
        let fixture = SPFFixture([
            "two.example.com": [.txt("v=spf1 a:gone1.example.com mx:gone2.example.com ?all")],
            "three.example.com": [.txt("v=spf1 a:gone1.example.com mx:gone2.example.com exists:gone3.example.com ?all")],
            "nodata.example.com": [.txt("v=spf1 a:text.example.com a:text.example.com a:text.example.com ?all")],
            "text.example.com": [.txt("hello")],
            // The exp= lookup counts against no limit.
            "exp.example.com": [.txt("v=spf1 a:gone1.example.com a:gone2.example.com exp=gone3.example.com -all")],
        ])
        #expect(await fixture.result("192.0.2.1", "a@two.example.com") == .neutral)
        #expect(await fixture.result("192.0.2.1", "a@three.example.com") == .permerror)
        #expect(await fixture.result("192.0.2.1", "a@nodata.example.com") == .permerror, "NODATA is void too")
        #expect(await fixture.check("192.0.2.1", "a@exp.example.com") == SPFVerdict(result: .fail, domain: "exp.example.com"))
    }

    @Test func moreThanTenMXRecordsIsPermerror() async {
        var entries: [FakeDNS.Entry] = [.txt("v=spf1 mx -all")]
        entries += (0..<10).map { .mx(UInt16($0), "mail.example.com") }
        let fixture = SPFFixture([
            "ten.example.com": entries,
            "eleven.example.com": entries + [.mx(10, "eleven.example.com")],
            "mail.example.com": [.a("192.0.2.1")],
            "eleven.example.com.": [.a("192.0.2.5")],
        ])
        #expect(await fixture.result("192.0.2.1", "a@ten.example.com") == .pass)
        #expect(await fixture.result("192.0.2.5", "a@eleven.example.com") == .permerror)
    }

    @Test func onlyTenPTRNamesAreLookedAt() async {
        let names = (1...10).map { "e\($0).example.com" } + ["e11.example.com"]
        var zone: [String: [FakeDNS.Entry]] = ["5.2.0.192.in-addr.arpa": names.map { .ptr($0) }]
        zone["e11.example.com"] = [.txt("v=spf1 ptr"), .a("192.0.2.5")]
        zone["e10.example.com"] = [.txt("v=spf1 ptr"), .a("192.0.2.5")]
        let fixture = SPFFixture(zone)
        #expect(await fixture.result("192.0.2.5", "a@e11.example.com") == .neutral)
        #expect(await fixture.result("192.0.2.5", "a@e10.example.com") == .pass)
    }

    @Test func noLimitOnAddressRecords() async {
        let fixture = SPFFixture(["example.com": [.txt("v=spf1 a -all")] + (1...12).map { .a("192.0.2.\($0)") }])
        #expect(await fixture.result("192.0.2.12", "a@example.com") == .pass)
    }

    @Test func timeLimitGivesTemperror() async {
        let fixture = SPFFixture(["example.com": [.txt("v=spf1 a -all")]], timeLimit: .zero)
        #expect(await fixture.result("192.0.2.1", "a@example.com") == .temperror)
    }
}
