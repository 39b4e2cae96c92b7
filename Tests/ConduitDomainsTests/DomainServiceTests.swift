import ConduitCore
import ConduitDNS
import ConduitDomains
import ConduitStore
import Foundation
import Logging
import Synchronization
import Testing

/// Answers TXT lookups from a table; counts queries.
final class FakeResolver: DNSResolving {
    let answers = Mutex<[String: DNSLookupResult]>([:])
    let queries = Mutex<[String]>([])

    func set(_ name: String, _ result: DNSLookupResult) { answers.withLock { $0[name] = result } }

    func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult {
        queries.withLock { $0.append(name) }
        return answers.withLock { $0[name] } ?? .nxdomain
    }

    static func txt(_ name: String, _ strings: [String]...) -> DNSLookupResult {
        .records(strings.map { DNSRecord(name: name, type: 16, ttl: 60, data: .txt($0.map { Array($0.utf8) })) })
    }
}

struct DomainFixture {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-domains-\(UUID().uuidString)").path
    let store: Store
    let resolver = FakeResolver()
    let service: DomainService

    init() throws {
        store = try Store(path: directory, mapSizeBytes: 16 << 20, schema: Schema(version: 1, records: [Domain.self]))
        service = DomainService(store: store, resolver: resolver, logger: Logger(label: "test"))
    }

    func cleanup() {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

@Suite struct DomainServiceTests {
    @Test func claimsAreNormalizedAndUniquePerAccount() throws {
        let f = try DomainFixture()
        defer { f.cleanup() }
        let domain = try f.service.claim(accountID: "a", name: "Bücher.Example.")
        #expect(domain.name == "xn--bcher-kva.example")
        #expect(!domain.verified && !domain.isPublic)
        #expect(domain.verificationToken?.count == 43)
        #expect(throws: DomainError.alreadyClaimed) { try f.service.claim(accountID: "a", name: "xn--bcher-kva.example") }
        // Another account may claim the same unverified name.
        _ = try f.service.claim(accountID: "b", name: "bücher.example")
        #expect {
            try f.service.claim(accountID: "a", name: "ex_ample.com")
        } throws: { error in
            if case .invalidName = error as? DomainError { return true }
            return false
        }
    }

    @Test func firstToVerifyWinsAndOtherClaimsGo() async throws {
        let f = try DomainFixture()
        defer { f.cleanup() }
        let mine = try f.service.claim(accountID: "a", name: "example.org")
        let theirs = try f.service.claim(accountID: "b", name: "example.org")
        // The token split over two character-strings of one record is still one value.
        f.resolver.set("_conduit.example.org", FakeResolver.txt("_conduit.example.org", ["v=spf1 -all"], ["conduit-verification=", mine.verificationToken!]))
        let verified = try await f.service.verify(accountID: "a", id: mine.id)
        #expect(verified.verified)
        #expect(throws: DomainError.notFound) { try f.service.get(accountID: "b", id: theirs.id) }
        #expect(throws: DomainError.alreadyClaimed) { try f.service.claim(accountID: "c", name: "example.org") }
        #expect(try f.service.verifiedDomain(named: "example.org")?.id == mine.id)
        // Verifying again needs no lookup.
        let before = f.resolver.queries.withLock { $0.count }
        _ = try await f.service.verify(accountID: "a", id: mine.id)
        #expect(f.resolver.queries.withLock { $0.count } == before)
    }

    @Test func verificationFailuresAreTyped() async throws {
        let f = try DomainFixture()
        defer { f.cleanup() }
        let missing = try f.service.claim(accountID: "a", name: "missing.example")
        await #expect(throws: DomainError.recordNotFound) { try await f.service.verify(accountID: "a", id: missing.id) }
        let empty = try f.service.claim(accountID: "a", name: "empty.example")
        f.resolver.set("_conduit.empty.example", .nodata)
        await #expect(throws: DomainError.recordNotFound) { try await f.service.verify(accountID: "a", id: empty.id) }
        let wrong = try f.service.claim(accountID: "a", name: "wrong.example")
        f.resolver.set("_conduit.wrong.example", FakeResolver.txt("_conduit.wrong.example", ["conduit-verification=nope"]))
        await #expect(throws: DomainError.recordMismatch) { try await f.service.verify(accountID: "a", id: wrong.id) }
        let flaky = try f.service.claim(accountID: "a", name: "flaky.example")
        f.resolver.set("_conduit.flaky.example", .temporaryFailure("timeout"))
        await #expect(throws: DomainError.temporaryFailure("timeout")) { try await f.service.verify(accountID: "a", id: flaky.id) }
        #expect(try f.service.get(accountID: "a", id: flaky.id).verified == false)
        await #expect(throws: DomainError.notFound) { try await f.service.verify(accountID: "b", id: flaky.id) }
    }

    @Test func publicDomainsFollowTheConfiguration() throws {
        let f = try DomainFixture()
        defer { f.cleanup() }
        let claim = try f.service.claim(accountID: "a", name: "mail.public.example")
        try f.service.syncPublicDomains(["mail.public.example", "conduit.test"])
        let list = try f.service.list(accountID: "b")
        #expect(list.map(\.name) == ["conduit.test", "mail.public.example"])
        #expect(list.allSatisfy { $0.isPublic && $0.verified && $0.accountID == nil && $0.verificationToken == nil })
        // The unverified claim of a now-public name is gone; the name cannot be claimed.
        #expect(throws: DomainError.notFound) { try f.service.get(accountID: "a", id: claim.id) }
        #expect(throws: DomainError.alreadyClaimed) { try f.service.claim(accountID: "a", name: "conduit.test") }
        #expect(throws: DomainError.publicDomain) { try f.service.delete(accountID: "a", id: list[0].id) }
        // Ids are stable across restarts (sync keeps existing entries) and removal follows the config.
        try f.service.syncPublicDomains(["conduit.test"])
        #expect(try f.service.list(accountID: "b").map(\.id) == [list[0].id])
    }

    @Test func listsOwnDomainsNewestFirstThenPublic() throws {
        let f = try DomainFixture()
        defer { f.cleanup() }
        try f.service.syncPublicDomains(["aaa.public.example"])
        let first = try f.service.claim(accountID: "a", name: "one.example")
        let second = try f.service.claim(accountID: "a", name: "two.example")
        _ = try f.service.claim(accountID: "b", name: "three.example")
        #expect(try f.service.list(accountID: "a").map(\.name) == [second.name, first.name, "aaa.public.example"])
        try f.store.write { try DomainService.removeDomains(of: "a", in: $0) }
        #expect(try f.service.list(accountID: "a").map(\.name) == ["aaa.public.example"])
    }
}
