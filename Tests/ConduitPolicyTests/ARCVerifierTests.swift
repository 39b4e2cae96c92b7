import ConduitDNS
@testable import ConduitPolicy
import Foundation
import Logging
import Testing

/// Whole chains signed in the test (ARCTestChain, openssl): the verdict,
/// instances, oldest-pass, the DNS failure mapping and the streaming path.
@Suite struct ARCVerifierTests {
    /// A resolver publishing the RSA key at arc._domainkey.relay.example and
    /// list.example, the Ed25519 key at ed._domainkey.ed.example.
    static func resolver() throws -> DKIMFakeResolver {
        let resolver = DKIMFakeResolver()
        resolver.publish("arc._domainkey.relay.example", try ARCTestKeys.rsa().record)
        resolver.publish("arc._domainkey.list.example", try ARCTestKeys.rsa().record)
        resolver.publish("arc._domainkey.forward.example", try ARCTestKeys.rsa().record)
        resolver.publish("ed._domainkey.ed.example", try ARCTestKeys.ed25519().record)
        return resolver
    }

    /// A chain sealed by relay.example, list.example, forward.example (as many as `hops`).
    static func chain(hops: Int) throws -> ARCTestChain {
        var chain = ARCTestChain()
        for domain in ["relay.example", "list.example", "forward.example"].prefix(hops) {
            try chain.seal(key: try ARCTestKeys.rsa(), domain: domain)
        }
        return chain
    }

    @Test(arguments: [1, 2, 3])
    func anIntactChainPasses(hops: Int) async throws {
        let verdict = await arcVerify(try Self.chain(hops: hops).bytes, try Self.resolver())
        let sealers = Array(["relay.example", "list.example", "forward.example"].prefix(hops))
        #expect(verdict == ARCVerdict(result: .pass, instances: hops, oldestPass: 0, sealers: sealers))
    }

    @Test func anEd25519SealerAfterAnRSAOnePasses() async throws {
        var chain = try Self.chain(hops: 1)
        try chain.seal(key: try ARCTestKeys.ed25519(), domain: "ed.example", selector: "ed")
        let verdict = await arcVerify(chain.bytes, try Self.resolver())
        #expect(verdict.result == .pass)
        #expect(verdict.sealers == ["relay.example", "ed.example"])
    }

    @Test func noARCIsNoneWithoutDNS() async throws {
        let resolver = try Self.resolver()
        #expect(await arcVerify(Array(dkimSampleMessage.utf8), resolver) == .none)
        #expect(resolver.recordedQueries.isEmpty)
    }

    @Test func aBodyChangedAfterTheLastSealFails() async throws {
        var chain = try Self.chain(hops: 2)
        chain.editMessage { $0.replacingOccurrences(of: "Hello Bob", with: "Hello Eve") }
        let verdict = await arcVerify(chain.bytes, try Self.resolver())
        #expect(verdict == .fail("ARC-Message-Signature i=2: body hash mismatch", instances: 2))
    }

    @Test func aHopThatChangesTheMessageMovesOldestPass() async throws {
        // Hop 2 adds a footer, then seals with cv=pass: AMS 1 breaks, AMS 2 and 3 hold.
        var chain = try Self.chain(hops: 1)
        chain.editMessage { $0 + "-- \r\nlist footer\r\n" }
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "list.example")
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "forward.example")
        let verdict = await arcVerify(chain.bytes, try Self.resolver())
        #expect(verdict.result == .pass)
        #expect(verdict.instances == 3)
        #expect(verdict.oldestPass == 2)
        // Hop 3 changes the subject as well: only its own AMS holds.
        chain.editMessage { $0.replacingOccurrences(of: "Subject: Lunch", with: "Subject: [list] Lunch") }
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "relay.example")
        #expect(await arcVerify(chain.bytes, try Self.resolver()).oldestPass == 4)
    }

    @Test(arguments: [1, 2])
    func aSealChangedAfterSealingFails(instance: Int) async throws {
        var chain = try Self.chain(hops: 2)
        chain.editSet(instance) { $0.seal = $0.seal.replacingOccurrences(of: "t=1700000000", with: "t=1700000001") }
        // Seal 2 covers seal 1: the newest seal, checked first, is the one that fails.
        let verdict = await arcVerify(chain.bytes, try Self.resolver())
        #expect(verdict == .fail("ARC-Seal i=2: signature does not verify", instances: 2))
    }

    @Test func anOldSealThatNeverVerifiedFailsTheChain() async throws {
        // Hop 1 sealed with a key it does not publish; hop 2 sealed over it in good faith.
        var chain = ARCTestChain()
        try chain.seal(key: try DKIMTestKey.reused(.rsa(bits: 2048), name: "arc-rsa2048-unpublished"), domain: "relay.example")
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "list.example")
        let verdict = await arcVerify(chain.bytes, try Self.resolver())
        #expect(verdict == .fail("ARC-Seal i=1: signature does not verify", instances: 2))
    }

    @Test func aChangedAuthenticationResultsBreaksEverySealAfterIt() async throws {
        var chain = try Self.chain(hops: 2)
        chain.editSet(1) { $0.results = $0.results.replacingOccurrences(of: "spf=pass", with: "spf=fail") }
        // The newest seal is checked first.
        #expect(await arcVerify(chain.bytes, try Self.resolver()).reason == "ARC-Seal i=2: signature does not verify")
    }

    @Test func aSealerThatFoundTheChainBrokenEndsIt() async throws {
        var chain = try Self.chain(hops: 1)
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "list.example", cv: "fail")
        let resolver = try Self.resolver()
        #expect(await arcVerify(chain.bytes, resolver) == .fail("ARC-Seal i=2 has cv=fail", instances: 2))
        #expect(resolver.recordedQueries.isEmpty)
    }

    @Test func aStructuralFailureAsksNoDNS() async throws {
        var chain = try Self.chain(hops: 2)
        chain.editSet(1) { $0.results = "" }
        let resolver = try Self.resolver()
        #expect(await arcVerify(chain.bytes, resolver) == .fail("ARC set i=1 has no ARC-Authentication-Results", instances: 2))
        #expect(resolver.recordedQueries.isEmpty)
    }

    @Test func aKeyLookupThatFailsForNowIsATemporaryFail() async throws {
        let resolver = try Self.resolver()
        resolver.set("arc._domainkey.list.example", .temporaryFailure("timeout"))
        let verdict = await arcVerify(try Self.chain(hops: 2).bytes, resolver)
        #expect(verdict.result == .fail)
        #expect(verdict.isTemporary)
        #expect(verdict.reason == "ARC-Message-Signature i=2: key lookup at arc._domainkey.list.example failed: timeout")
    }

    @Test func aMissingOrRevokedKeyIsAPlainFail() async throws {
        let resolver = try Self.resolver()
        resolver.set("arc._domainkey.relay.example", .nxdomain)
        let missing = await arcVerify(try Self.chain(hops: 2).bytes, resolver)
        #expect(missing == .fail("ARC-Seal i=1: no key record at arc._domainkey.relay.example", instances: 2))
        resolver.publish("arc._domainkey.relay.example", "v=DKIM1; k=rsa; p=")
        #expect(await arcVerify(try Self.chain(hops: 2).bytes, resolver).reason == "ARC-Seal i=1: key revoked")
    }

    @Test func anOlderKeyThatFailsForNowOnlyStopsOldestPass() async throws {
        // AMS 1 is signed under a selector whose lookup times out: the chain
        // passes on its seals and the newest AMS; oldest-pass says 2.
        var chain = ARCTestChain()
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "relay.example", messageSelector: "other")
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "list.example")
        let resolver = try Self.resolver()
        resolver.set("other._domainkey.relay.example", .temporaryFailure("timeout"))
        let verdict = await arcVerify(chain.bytes, resolver)
        #expect(verdict == ARCVerdict(result: .pass, instances: 2, oldestPass: 2, sealers: ["relay.example", "list.example"]))
        #expect(resolver.recordedQueries.contains("other._domainkey.relay.example"))
    }

    @Test func theStreamedBodyHashesGiveTheSameVerdict() async throws {
        var chain = try Self.chain(hops: 1)
        chain.editMessage { $0 + "-- \r\nlist footer\r\n" }
        try chain.seal(key: try ARCTestKeys.rsa(), domain: "list.example")
        let bytes = chain.bytes
        let headerLength = DKIMMessage.headerBlockLength(bytes)
        let headerBlock = Array(bytes[..<headerLength])
        let hasher = DKIMBodyHasher(headerBlock: headerBlock, includingARC: true)
        #expect(hasher.isNeeded)
        // Uneven chunks, cut between CR and LF.
        var index = headerLength
        for size in [1, 7, 2, 30, 5, 1000] where index < bytes.count {
            let end = min(bytes.count, index + size)
            bytes[index..<end].withUnsafeBytes { hasher.update($0) }
            index = end
        }
        let verifier = ARCVerifier(resolver: try Self.resolver(), logger: Logger(label: "arc-test"))
        let streamed = await verifier.verify(headerBlock: headerBlock, bodyHashes: hasher.finish())
        #expect(streamed == ARCVerdict(result: .pass, instances: 2, oldestPass: 2, sealers: ["relay.example", "list.example"]))
        #expect(streamed == (await verifier.verify(message: bytes)))
    }

    @Test func withoutARCBodyHashesTheNewestSignatureFails() async throws {
        let bytes = try Self.chain(hops: 1).bytes
        let headerBlock = Array(bytes[..<DKIMMessage.headerBlockLength(bytes)])
        // DKIM's hasher alone (the ingress today) computes nothing for ARC.
        #expect(!DKIMBodyHasher(headerBlock: headerBlock).isNeeded)
        let verifier = ARCVerifier(resolver: try Self.resolver(), logger: Logger(label: "arc-test"))
        let verdict = await verifier.verify(headerBlock: headerBlock, bodyHashes: DKIMBodyHashes())
        #expect(verdict.reason == "ARC-Message-Signature i=1: body was not hashed for this signature")
        let cut = await verifier.verify(headerBlock: headerBlock, bodyHashes: DKIMBodyHashes(), headerBlockComplete: false)
        #expect(cut.result == .fail)
        #expect(cut.reason?.hasPrefix("header section longer than") == true)
    }

    @Test func aFutureTimestampOnASealFails() async throws {
        let chain = try Self.chain(hops: 1)
        // The test chain's seals say t=1700000000 (November 2023).
        let verdict = await arcVerify(chain.bytes, try Self.resolver(), now: Date(timeIntervalSince1970: 1_600_000_000))
        #expect(verdict == .fail("ARC-Seal i=1: signature timestamp t=1700000000 is in the future", instances: 1))
    }
}
