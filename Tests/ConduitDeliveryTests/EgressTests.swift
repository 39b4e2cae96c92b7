import ConduitCore
import ConduitDNS
import Testing
@testable import ConduitDelivery

/// The SSRF guard's pure parts: which addresses are admitted, and the
/// CONNECT head the proxy accepts.
@Suite struct EgressPolicyTests {
    let strict = EgressPolicy(allowPrivateTargets: false)

    @Test(arguments: [
        ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("10.0.0.1", "private"),
        ("192.168.1.1", "private"), ("172.16.0.1", "private"), ("100.64.0.1", "private"), ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"), ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"), ("fc00::1", "private"), ("::ffff:10.0.0.1", "private"), ("64:ff9b::7f00:1", "loopback"),
        // Issue 12 item 14.
        ("64:ff9b:1::a00:1", "private"), ("64:ff9b:1::808:808", "private"), ("2001::1", "reserved"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "reserved"), ("192.88.99.1", "reserved"), ("100.127.255.254", "private"),
        ("198.18.0.1", "private"), ("198.19.255.254", "private"),
    ])
    func refusesNonGlobal(address: String, scope: String) throws {
        let ip = try #require(IPAddress(address))
        let reason = try #require(strict.refusal(of: ip))
        #expect(reason.contains("is a \(scope) address"))
        #expect(EgressPolicy(allowPrivateTargets: true).refusal(of: ip) == nil)
    }

    @Test func admitsGlobalAddressesAndKeepsTheirOrder() throws {
        let addresses = try ["10.0.0.1", "93.184.216.34", "2606:4700::1111"].map { try #require(IPAddress($0)) }
        #expect(try strict.admit(addresses).get() == Array(addresses.dropFirst()))
    }

    @Test func refusesWhenNoAddressIsAllowed() throws {
        let addresses = try ["127.0.0.1", "10.0.0.1"].map { try #require(IPAddress($0)) }
        guard case let .failure(refusal) = strict.admit(addresses) else {
            Issue.record("admitted private addresses")
            return
        }
        #expect(refusal.reason.hasPrefix("target refused: 127.0.0.1 is a loopback address"))
    }
}

@Suite struct WebhookTargetTests {
    @Test func splitsOriginRequestTargetAndHost() throws {
        let target = try #require(WebhookTarget(url: "https://Hooks.Example.com/in/bound?a=1#frag"))
        #expect(target.origin == .init(tls: true, host: "hooks.example.com", port: 443))
        #expect(target.requestTarget == "/in/bound?a=1")
        #expect(target.hostHeader == "Hooks.Example.com")
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080", "127.0.0.1", 8080, "/", "127.0.0.1:8080"),
        ("http://[::1]:8080/x", "::1", 8080, "/x", "[::1]:8080"),
        ("https://[2001:db8::1]/x", "2001:db8::1", 443, "/x", "[2001:db8::1]"),
        ("http://a.example:80?q", "a.example", 80, "/?q", "a.example"),
    ])
    func parsesPortsAndIPLiterals(url: String, host: String, port: Int, path: String, hostHeader: String) throws {
        let target = try #require(WebhookTarget(url: url))
        #expect(target.origin.host == host && target.origin.port == port)
        #expect(target.requestTarget == path && target.hostHeader == hostHeader)
    }

    @Test(arguments: [
        "ftp://a.example/", "a.example/x", "http://", "http://user@a.example/", "http://a.example:0/",
        "http://a.example:70000/", "http://a.example:x/", "http://[::1/", "http://a b.example/", "http://a.example/x y",
        "http://a.example/\r\nX: y",
    ])
    func refusesWhatItCannotRequest(url: String) {
        #expect(WebhookTarget(url: url) == nil)
    }
}

@Suite struct TargetResolverTests {
    /// Literals and localhost must never reach DNS: this resolver fails
    /// every query, so an answer proves no query was made.
    struct NoDNS: DNSResolving {
        func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult {
            .temporaryFailure("no DNS in this test")
        }
    }

    @Test func literalsAndLocalhostNeedNoDNS() async throws {
        let resolver = TargetResolver(resolver: NoDNS())
        #expect(try await resolver.resolve("[2001:db8::1]").get() == [try #require(IPAddress("2001:db8::1"))])
        #expect(try await resolver.resolve("192.0.2.7").get() == [try #require(IPAddress("192.0.2.7"))])
        #expect(try await resolver.resolve("LOCALHOST.").get().map(\.description) == ["127.0.0.1", "::1"])
        guard case let .failure(refusal) = await resolver.resolve("hooks.example.com") else {
            Issue.record("resolved without DNS")
            return
        }
        #expect(refusal.reason.contains("DNS lookup of hooks.example.com failed"))
    }
}
