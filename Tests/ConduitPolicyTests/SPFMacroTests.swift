import ConduitCore
@testable import ConduitPolicy
import Testing

/// Macro expansion (RFC 7208 §7), starting with the examples of §7.4.
@Suite struct SPFMacroTests {
    func evaluation(ip: String = "192.0.2.3", sender: String = "strong-bad@email.example.com", helo: String = "mx.example.org", dns: FakeDNS = FakeDNS([:])) -> SPFEvaluation {
        SPFEvaluation(
            resolver: dns, ip: IPAddress(ip)!, sender: SPFSender(sender), helo: helo, receiver: "receiver.example.net",
            timestamp: 1_700_000_000, deadline: .now + .seconds(10)
        )
    }

    func expand(_ text: String, _ evaluation: SPFEvaluation, domain: String = "email.example.com", context: SPFMacroString.Context = .domainSpec) async throws -> String {
        try await evaluation.expand(SPFMacroString(parsing: Array(text.utf8), context: context), domain: domain)
    }

    @Test(arguments: [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ])
    func rfc7208Section7_4Examples(macro: String, expected: String) async throws {
        #expect(try await expand(macro, evaluation()) == expected)
    }

    @Test func ipv6ExampleOfSection7_4() async throws {
        let expanded = try await expand("%{ir}.%{v}._spf.%{d2}", evaluation(ip: "2001:db8::cb01"))
        // Nibbles are uppercase (as the RFC 7208 test suite expects); DNS ignores case.
        #expect(expanded.lowercased() == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")
        #expect(try await expand("%{c} %{i}", evaluation(ip: "2001:db8::cb01"), context: .explanation)
            == "2001:db8::cb01 2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1")
    }

    @Test func escapesAndUppercaseMacros() async throws {
        let evaluation = evaluation(sender: "~jack&jill=up-a_b3.c@e8.example.com")
        #expect(try await expand("a%%b%_c%-d.example.com", evaluation) == "a%b c%20d.example.com")
        #expect(try await expand("l=%{L}", evaluation, context: .explanation) == "l=~jack%26jill%3Dup-a_b3.c")
        #expect(try await expand("%{l2r+-}.user.%{d2}", self.evaluation(sender: "foo-bar+zip+quux@e12.example.com")) == "bar.foo.user.example.com")
    }

    @Test func explanationOnlyLetters() async throws {
        let evaluation = evaluation()
        #expect(try await expand("%{c} %{r} %{t} %{v}", evaluation, context: .explanation) == "192.0.2.3 receiver.example.net 1700000000 in-addr")
        for letter in ["c", "r", "t"] {
            #expect(throws: SPFSyntaxError.self) { try SPFMacroString.domainSpec(Array("%{\(letter)}.example.com".utf8)) }
        }
    }

    @Test(arguments: ["%", "%x", "foo%.example.com", "%{a}.example.com", "%{d0}.example.com", "%{d", "%{d*}.example.com", "a b.example.com", "%(ir).example.com"])
    func malformedMacroStringsAreSyntaxErrors(text: String) {
        #expect(throws: SPFSyntaxError.self) { try SPFMacroString.domainSpec(Array(text.utf8)) }
    }

    @Test func validatedNamePrefersTheDomain() async throws {
        let dns = FakeDNS([
            "42.218.168.192.in-addr.arpa": [.ptr("mx.example.com"), .ptr("mx.e7.example.com"), .ptr("bogus.e7.example.com")],
            "mx.example.com": [.a("192.168.218.42")],
            "mx.e7.example.com": [.a("192.168.218.42")],
            "bogus.e7.example.com": [.a("192.0.2.1")],
        ])
        let evaluation = evaluation(ip: "192.168.218.42", dns: dns)
        #expect(try await expand("%{p}", evaluation, domain: "e7.example.com") == "mx.e7.example.com")
        #expect(try await expand("%{p}", evaluation, domain: "example.org") == "mx.example.com")
        #expect(try await expand("%{p}", self.evaluation(ip: "192.0.2.99", dns: dns), domain: "example.org") == "unknown")
    }

    @Test func longExpansionsLoseLabelsOnTheLeft() async throws {
        let evaluation = evaluation(sender: "x@somewhat.long.exp.example.com")
        let spec = try SPFMacroString.domainSpec(Array("foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com".utf8))
        let name = try await evaluation.expandDomain(spec, domain: "example.com")
        #expect(name.utf8.count <= 253)
        #expect(name == Array(repeating: "somewhat.long.exp.example.com", count: 8).joined(separator: ".") + ".example.com")
    }
}
