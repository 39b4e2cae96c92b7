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

@Suite struct ConnectRequestTests {
    @Test func parsesHostPortAndCredential() {
        let head = "CONNECT Hooks.Example.com:443 HTTP/1.1\r\nHost: hooks.example.com\r\nProxy-Authorization: Basic abc=\r\n\r\nextra"
        guard case let .complete(request, length) = ConnectRequest.parse(Array(head.utf8)) else {
            Issue.record("not parsed")
            return
        }
        #expect(request == ConnectRequest(host: "hooks.example.com", port: 443, proxyAuthorization: "Basic abc="))
        #expect(length == head.utf8.count - "extra".utf8.count)
    }

    @Test(arguments: [("[::1]:8080", "::1", 8080), ("::1:8080", "::1", 8080), ("10.0.0.1:80", "10.0.0.1", 80)])
    func parsesIPTargets(target: String, host: String, port: Int) {
        guard case let .complete(request, _) = ConnectRequest.parse(Array("CONNECT \(target) HTTP/1.1\r\n\r\n".utf8)) else {
            Issue.record("not parsed: \(target)")
            return
        }
        #expect(request.host == host && request.port == port)
    }

    @Test func waitsForTheBlankLine() {
        #expect(ConnectRequest.parse(Array("CONNECT a.example:443 HTTP/1.1\r\nHost: a\r\n".utf8)) == .incomplete)
    }

    @Test(arguments: [
        "GET / HTTP/1.1\r\n\r\n", "CONNECT a.example HTTP/1.1\r\n\r\n", "CONNECT a.example:0 HTTP/1.1\r\n\r\n",
        "CONNECT a.example:70000 HTTP/1.1\r\n\r\n", "CONNECT user@a.example:80 HTTP/1.1\r\n\r\n",
        "CONNECT a.example:80 HTTP/1.1\r\nno colon here\r\n\r\n", "CONNECT :80 HTTP/1.1\r\n\r\n",
    ])
    func rejectsMalformedHeads(head: String) {
        guard case .invalid = ConnectRequest.parse(Array(head.utf8)) else {
            Issue.record("accepted: \(head.debugDescription)")
            return
        }
    }

    @Test func rejectsAnEndlessHead() {
        let head = "CONNECT a.example:80 HTTP/1.1\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 500)
        #expect(ConnectRequest.parse(Array(head.utf8)) == .invalid("request head too long"))
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
