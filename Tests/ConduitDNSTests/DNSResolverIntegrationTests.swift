import ConduitCore
import Foundation
import Logging
import Testing
@testable import ConduitDNS

/// The resolver against a real DNS server (dnslib) on a loopback port.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DNSResolverIntegrationTests {
    static let bigStrings = (0..<8).map { index in String(repeating: Character(String(index)), count: 200) }

    static let zone = """
        example.test:
          - A: 192.0.2.10
          - AAAA: "2001:db8::10"
          - MX: [10, mail.example.test]
          - TXT: ["v=spf1 ", "ip4:192.0.2.0/24 ", "-all"]
          - TXT: "second record"
        mail.example.test:
          - A: 192.0.2.25
        10.2.0.192.in-addr.arpa:
          - PTR: example.test
        alias.example.test:
          - CNAME: alias2.example.test
        alias2.example.test:
          - CNAME: Example.test
        partial.example.test:
          - CNAME: mail.example.test
        dangling.example.test:
          - CNAME: missing.example.test
        loop1.example.test:
          - CNAME: loop2.example.test
        loop2.example.test:
          - CNAME: loop1.example.test
        big.example.test:
        \(bigStrings.map { "  - TXT: \"\($0)\"" }.joined(separator: "\n"))
        slow.example.test:
          - TIMEOUT
        """

    /// The per-query timeout of lookups the server answers: it only ends a
    /// broken run, so it is wide enough for a Python server on a machine busy
    /// with the rest of the suite. Tests of the timeout itself use a server
    /// that never answers, so a short timeout there races nothing.
    static let patience = Duration.seconds(30)

    private func makeResolver(_ ports: [Int], timeout: Duration = patience, attempts: Int = 2) -> (DNSResolver, CapturingLogHandler.Store) {
        let (logger, store) = CapturingLogHandler.logger()
        let servers = ports.map { DNSResolver.Nameserver(host: "127.0.0.1", port: $0) }
        return (DNSResolver(nameservers: servers, timeout: timeout, attempts: attempts, logger: logger), store)
    }

    private func records(_ result: DNSLookupResult) -> [DNSRecordData] {
        guard case let .records(records) = result else { return [] }
        return records.map(\.data)
    }

    @Test func addressMailAndPointerRecords() async throws {
        try await withDNSServer(zone: Self.zone) { server in
            let (resolver, _) = makeResolver([server.port])
            #expect(records(await resolver.lookup("Example.TEST.", type: .a)) == [.a(IPAddress("192.0.2.10")!)])
            #expect(records(await resolver.lookup("example.test", type: .aaaa)) == [.aaaa(IPAddress("2001:db8::10")!)])
            #expect(records(await resolver.lookup("example.test", type: .mx)) == [.mx(preference: 10, exchange: "mail.example.test")])
            #expect(records(await resolver.lookup("10.2.0.192.in-addr.arpa", type: .ptr)) == [.ptr("example.test")])
            guard case let .records(found) = await resolver.lookup("example.test", type: .a) else { return }
            #expect(found.first?.name.lowercased() == "example.test" && found.first?.type == 1)
        }
    }

    @Test func txtStringsAreJoinedPerRecord() async throws {
        try await withDNSServer(zone: Self.zone) { server in
            let (resolver, _) = makeResolver([server.port])
            let texts = records(await resolver.lookup("example.test", type: .txt)).compactMap(\.txtText)
            #expect(texts.sorted() == ["second record", "v=spf1 ip4:192.0.2.0/24 -all"])
        }
    }

    @Test func negativeAnswers() async throws {
        try await withDNSServer(zone: Self.zone) { server in
            let (resolver, _) = makeResolver([server.port])
            #expect(await resolver.lookup("nothere.example.test", type: .a) == .nxdomain)
            #expect(await resolver.lookup("mail.example.test", type: .aaaa) == .nodata)
            #expect(await resolver.lookup("test", type: .txt) == .nodata)  // an empty non-terminal
            #expect(await resolver.lookup("a..b", type: .a) == .nxdomain)  // never sent
            #expect(!server.log.contains("a..b"))
        }
    }

    @Test func cnameChains() async throws {
        try await withDNSServer(zone: Self.zone) { server in
            let (resolver, _) = makeResolver([server.port])
            let result = await resolver.lookup("alias.example.test", type: .a)
            #expect(records(result) == [.a(IPAddress("192.0.2.10")!)])
            #expect(records(await resolver.lookup("alias.example.test", type: .cname)) == [.cname("alias2.example.test")])
            // The chain ends at a name without AAAA: asked again, NODATA.
            #expect(await resolver.lookup("partial.example.test", type: .aaaa) == .nodata)
            #expect(server.log.contains("mail.example.test. AAAA"))
            #expect(await resolver.lookup("dangling.example.test", type: .a) == .nxdomain)
            guard case .temporaryFailure = await resolver.lookup("loop1.example.test", type: .a) else {
                Issue.record("a CNAME loop was not a temporary failure")
                return
            }
        }
    }

    @Test func truncatedAnswersAreFetchedOverTCP() async throws {
        try await withDNSServer(zone: Self.zone) { server in
            let (resolver, _) = makeResolver([server.port])
            let texts = records(await resolver.lookup("big.example.test", type: .txt)).compactMap(\.txtText)
            #expect(texts.sorted() == Self.bigStrings)
            #expect(server.log.contains("] udp big.example.test. TXT"))
            #expect(server.log.contains("] tcp big.example.test. TXT"))
        }
    }

    @Test func timeoutIsATemporaryFailureWithinTheBudget() async throws {
        try await withDNSServer(zone: Self.zone) { server in
            // slow.example.test is never answered: the timeout races nothing.
            let (resolver, _) = makeResolver([server.port], timeout: .milliseconds(300), attempts: 2)
            let start = ContinuousClock.now
            let result = await resolver.lookup("slow.example.test", type: .txt)
            let elapsed = ContinuousClock.now - start
            #expect(result == .temporaryFailure("127.0.0.1:\(server.port): timed out"))
            // Both attempts waited their whole timeout (a lower bound no load can
            // break); the budget is bounded by the two queries counted below,
            // not by an upper time a busy machine could overrun.
            #expect(elapsed >= .milliseconds(600))
            // An unanswered query is logged whenever the busy server gets to it,
            // maybe after the resolver gave up: wait for the lines, not a time.
            let queries = { server.log.components(separatedBy: "slow.example.test. TXT").count - 1 }
            let firstLogged = try await eventually { queries() >= 2 }
            #expect(firstLogged && queries() == 2)
            // Failures are not cached: the server is asked again.
            _ = await resolver.lookup("slow.example.test", type: .txt)
            let againLogged = try await eventually { queries() >= 4 }
            #expect(againLogged && queries() == 4)
        }
    }

    @Test func servfailIsATemporaryFailure() async throws {
        try await withDNSServer(zone: Self.zone, arguments: ["--timeout-mode", "servfail"]) { server in
            // A SERVFAIL ends the lookup at once, without waiting out a timeout:
            // with a 120 s timeout (two attempts), well under it proves that
            // however slow the machine.
            let (resolver, _) = makeResolver([server.port], timeout: .seconds(120))
            let start = ContinuousClock.now
            #expect(await resolver.lookup("slow.example.test", type: .a) == .temporaryFailure("127.0.0.1:\(server.port): SERVFAIL"))
            #expect(ContinuousClock.now - start < .seconds(60))
        }
    }

    @Test func answersAreCachedAndShared() async throws {
        let server = try await DNSTestServer.start(zone: Self.zone)
        defer { server.stop() }
        let (resolver, store) = makeResolver([server.port], attempts: 1)
        // Concurrent identical lookups share one query.
        let results = await withTaskGroup(of: DNSLookupResult.self) { group in
            for _ in 0..<10 { group.addTask { await resolver.lookup("mail.example.test", type: .a) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { records($0) == [.a(IPAddress("192.0.2.25")!)] })
        #expect(server.log.components(separatedBy: "mail.example.test. A ->").count - 1 == 1)
        #expect(await resolver.lookup("nothere.example.test", type: .a) == .nxdomain)
        server.stop()
        #expect(records(await resolver.lookup("MAIL.example.test.", type: .a)) == [.a(IPAddress("192.0.2.25")!)])
        #expect(await resolver.lookup("nothere.example.test", type: .a) == .nxdomain)
        let events = store.all.filter { $0.message == "DNS lookup" }
        #expect(events.allSatisfy { $0.level == .debug })
        #expect(events.contains { $0.metadata["dns.name"] == "MAIL.example.test." && $0.metadata["dns.source"] == "cache" && $0.metadata["dns.outcome"] == "records(1)" })
        #expect(events.contains { $0.metadata["dns.name"] == "nothere.example.test" && $0.metadata["dns.outcome"] == "nxdomain" })
        #expect(events.count == 13)
    }

    @Test func failsOverToTheNextNameserver() async throws {
        try await withDNSServer(zone: Self.zone) { server in
            let deadPort = server.port == 65_000 ? 65_001 : 65_000
            // The dead port's query waits out the timeout; the live server's
            // must not, so the timeout is a few seconds rather than a fraction.
            let (resolver, _) = makeResolver([deadPort, server.port], timeout: .seconds(5), attempts: 1)
            #expect(records(await resolver.lookup("mail.example.test", type: .a)) == [.a(IPAddress("192.0.2.25")!)])
            let (unreachable, _) = makeResolver([deadPort], timeout: .milliseconds(300), attempts: 2)
            guard case .temporaryFailure = await unreachable.lookup("mail.example.test", type: .a) else {
                Issue.record("a dead nameserver gave an answer")
                return
            }
        }
    }
}

/// Polls `condition` until it holds or `patience` (real time, wide on purpose:
/// it only ends a broken run) has passed; returns whether it held.
func eventually(patience: Duration = .seconds(60), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + patience
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}
