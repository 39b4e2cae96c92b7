import ConduitCore
@testable import ConduitPolicy
import Testing

/// The record grammar (RFC 7208 §4.5, §4.6.1, §5, §6): what parses, and
/// what is a syntax error (permerror) wherever it stands in the record.
@Suite struct SPFRecordParseTests {
    func parse(_ text: String) throws -> SPFRecord {
        try SPFRecord.parse(Array(text.utf8))
    }

    @Test func versionSelection() {
        #expect(SPFRecord.isSPF(Array("v=spf1".utf8)))
        #expect(SPFRecord.isSPF(Array("V=SpF1 -all".utf8)))
        #expect(!SPFRecord.isSPF(Array("v=spf10".utf8)))
        #expect(!SPFRecord.isSPF(Array("v=spf1mx".utf8)))
        #expect(!SPFRecord.isSPF(Array(" v=spf1 -all".utf8)))
    }

    @Test func everyMechanismAndQualifier() throws {
        let record = try parse("v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx/30 mx:%{d}.example.org ptr ptr:example.net ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.bl.example.com  ")
        let mechanisms = record.directives.map(\.mechanism)
        #expect(record.directives.map(\.qualifier) == [.pass, .fail, .softfail, .neutral, .pass, .pass, .pass, .pass, .pass, .pass, .pass])
        #expect(mechanisms[0] == .all)
        #expect(mechanisms[2] == .a(nil, .init(ipv4: 32, ipv6: 128)))
        guard case let .a(spec?, cidr) = mechanisms[3] else { Issue.record("not a:"); return }
        #expect(spec.tokens == [.literal("mail.example.com")])
        #expect(cidr == .init(ipv4: 24, ipv6: 64))
        #expect(mechanisms[4] == .mx(nil, .init(ipv4: 30, ipv6: 128)))
        #expect(mechanisms[6] == .ptr(nil))
        #expect(mechanisms[8] == .ip4(IPAddress("192.0.2.0")!, prefixLength: 24))
        #expect(mechanisms[9] == .ip6(IPAddress("2001:db8::")!, prefixLength: 32))
    }

    @Test func modifiers() throws {
        let record = try parse("v=spf1 -all exp=explain.%{d} REDIRECT=_spf.example.com moo.cow-far_out=man:dog/cat default=+")
        #expect(record.directives.count == 1)
        #expect(record.redirect?.tokens == [.literal("_spf.example.com")])
        #expect(record.explanation != nil)
    }

    @Test(arguments: [
        "v=spf1 ip4:1.2.3.4 -all moo",  // an error after a match still counts
        "v=spf1 -all.", "v=spf1 -all:foobar", "v=spf1 -all/8",
        "v=spf1 a:foo.example.com\u{0}", "v=spf1 a:ctrl.example.com\rptr -all", "v=spf1 a:\u{EF}garbage.example.net",
        "v=spf1 a/33", "v=spf1 a//129", "v=spf1 a/24/64", "v=spf1 a:", "v=spf1 a:museum", "v=spf1 a:museum.",
        "v=spf1 a:example.com:8080", "v=spf1 a:abc.123", "v=spf1 a:111.222.33.44", "v=spf1 a:example.-com", "v=spf1 a:foo-bar",
        "v=spf1 mx//33/24", "v=spf1 mx:", "v=spf1 ptr/0", "v=spf1 ptr:",
        "v=spf1 include", "v=spf1 include:", "v=spf1 include:ip5.example.com/24",
        "v=spf1 exists", "v=spf1 exists:", "v=spf1 exists:mail.example.com/24",
        "v=spf1 ip4", "v=spf1 ip4:1.2.3.4/33", "v=spf1 ip4:1.2.3.4/032", "v=spf1 ip4:1.2.3.4//32", "v=spf1 ip4:1.2.3.4:8080",
        "v=spf1 ip4:1.2.3", "v=spf1 ip4:01.2.3.4", "v=spf1 ip4:2001:db8::1",
        "v=spf1 ip6", "v=spf1 ip6:::1.1.1.1/129", "v=spf1 ip6:::1.1.1.1//33", "v=spf1 ip6::CAFE::BABE", "v=spf1 ip6:1.2.3.4",
        "v=spf1 redirect:example.com", "v=spf1 redirect=", "v=spf1 redirect=-all", "v=spf1 exp=", "v=spf1 exp=-all",
        "v=spf1 exp=a.example.com exp=b.example.com", "v=spf1 redirect=a.example.com redirect=a.example.com",
        "v=spf1 exp=%{r}.example.com", "v=spf1 1up=foo", "v=spf1 =all", "v=spf1 moo.cow/far_out=man:dog/cat",
        "v=spf1 moo.cow:far_out=man:dog/cat", "v=spf1 foo=%abc", "v=spf1 frobnicate",
    ])
    func syntaxErrors(record: String) {
        #expect(throws: SPFSyntaxError.self) { try parse(record) }
    }

    @Test(arguments: [
        "v=spf1", "v=spf1 a:foo:bar/baz.example.com", "v=spf1 a:foo.example.xn--zckzah -all", "v=spf1 a:mail.example...com",
        "v=spf1 ip6:::1.1.1.1/0", "v=spf1 ip6:Cafe:Babe:8000::/33", "v=spf1 ip4:1.1.1.1/0", "v=spf1 a:%{H}.bar",
        "v=spf1 include:o.spf.example.com.", "v=spf1 a:123-456.example.123-456",
    ])
    func validRecords(record: String) throws {
        _ = try parse(record)
    }
}
