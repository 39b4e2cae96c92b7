import ConduitCore
import Foundation
import Logging
import Testing
@testable import ConduitPolicy

/// The streaming body hash (what the SMTP ingress computes while DATA
/// arrives) against the one-shot canonicalization, for every way the body
/// can be cut into chunks, and against dkimpy on a multi-MiB body.
@Suite struct DKIMStreamingTests {
    /// The canonical body when `body` arrives in the chunks `cuts` makes.
    static func streamed(_ canonicalization: DKIMCanonicalization, _ body: [UInt8], cuts: [Int]) -> [UInt8] {
        var stream = DKIMBodyCanonicalizer(canonicalization)
        var out: [UInt8] = []
        var start = 0
        for cut in cuts + [body.count] where cut >= start {
            body[start..<cut].withUnsafeBytes { stream.update($0, into: &out) }
            start = cut
        }
        stream.finish(into: &out)
        return out
    }

    /// One-shot, as `DKIMMessage` sees a body (bare LF read as CRLF).
    static func oneShot(_ canonicalization: DKIMCanonicalization, _ body: [UInt8]) -> [UInt8] {
        let normalized = DKIMMessage.normalizingLineEnds([DKIMASCII.cr, DKIMASCII.lf] + body)
        return canonicalization.body(normalized[2...])
    }

    static let tricky: [String] = [
        "", "\r\n", "\r\n\r\n\r\n", "a", "a\r\n", "a \r\n", "a\t \r\n\r\n \r\n", " \t ", "a \r", "a\r", "\r", "\n", "\n\n",
        "x  y\t\tz \r\n\r\n", "a\r\r\n", "a \r \n b", "line\nbare\n\n", "  lead\r\n\ttab\r\n", "end  ", "\r\n \r\n\t\r\n",
        "a\r\n\r\nb\r\n\r\n", "\r\r\r\n\n",
    ]

    @Test(arguments: [DKIMCanonicalization.simple, .relaxed])
    func everySplitOfTrickyBodiesGivesTheOneShotResult(_ canonicalization: DKIMCanonicalization) {
        for text in Self.tricky {
            let body = Array(text.utf8)
            let expected = Self.oneShot(canonicalization, body)
            #expect(Self.streamed(canonicalization, body, cuts: []) == expected, "\(text.debugDescription)")
            #expect(Self.streamed(canonicalization, body, cuts: Array(0..<body.count)) == expected, "1-byte chunks of \(text.debugDescription)")
            for a in 0...body.count {
                for b in a...body.count {
                    #expect(Self.streamed(canonicalization, body, cuts: [a, b]) == expected, "\(text.debugDescription) cut at \(a), \(b)")
                }
            }
        }
    }

    @Test(arguments: [DKIMCanonicalization.simple, .relaxed])
    func randomBodiesInRandomChunksGiveTheOneShotResult(_ canonicalization: DKIMCanonicalization) {
        var rng = SplitMix(seed: 14)
        let alphabet = Array("ab \t\r\n\n".utf8)
        for _ in 0..<400 {
            let body = (0..<Int.random(in: 0...300, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let cuts = (0..<Int.random(in: 0...12, using: &rng)).map { _ in Int.random(in: 0...body.count, using: &rng) }.sorted()
            #expect(Self.streamed(canonicalization, body, cuts: cuts) == Self.oneShot(canonicalization, body))
        }
    }

    @Test func hasherHonoursBodyLengthAndSharesHashes() {
        let header = Array((
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=e.com; s=s; h=from; l=3; bh=AA==; b=AA==\r\n"
            + "DKIM-Signature: v=1; a=rsa-sha256; c=simple/simple; d=e.com; s=t; h=from; bh=AA==; b=AA==\r\n"
            + "DKIM-Signature: v=1; a=ed25519-sha256; c=simple/simple; d=e.com; s=u; h=from; bh=AA==; b=AA==\r\n"
            + "From: a@e.com\r\n\r\n"
        ).utf8)
        let body = Array("Hello  world \r\n\r\n\r\n".utf8)
        let hasher = DKIMBodyHasher(headerBlock: header)
        for byte in body { [byte].withUnsafeBytes { hasher.update($0) } }
        let hashes = hasher.finish()
        #expect(hashes.hashes.count == 2)  // the two simple/sha256 signatures share one
        #expect(hashes.hashes[DKIMBodyKey(canonicalization: .relaxed, digest: .sha256, length: 3)] == MessageDigest.sha256.hash(Array("Hel".utf8)))
        #expect(hashes.hashes[DKIMBodyKey(canonicalization: .simple, digest: .sha256, length: nil)] == MessageDigest.sha256.hash(Array("Hello  world \r\n".utf8)))
        #expect(hashes.canonicalLengths[.relaxed] == Array("Hello world\r\n".utf8).count)
        #expect(!DKIMBodyHasher(headerBlock: Array("From: a@e.com\r\n\r\n".utf8)).isNeeded)
    }

    @Test func aHeaderSectionCutShortMakesEverySignaturePermerrorWithoutDNS() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let signed = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa)
        let bytes = Array(signed.utf8)
        let headerLength = DKIMMessage.headerBlockLength(bytes)
        let verifier = DKIMVerifier(resolver: resolver, logger: Logger(label: "dkim-test"))
        let whole = DKIMBodyHashes(headerBlock: Array(bytes[..<headerLength]), body: bytes[headerLength...])
        #expect(await verifier.verify(headerBlock: Array(bytes[..<headerLength]), bodyHashes: whole).map(\.result) == [.pass])
        let cut = await verifier.verify(headerBlock: Array(bytes[..<headerLength]), bodyHashes: whole, headerBlockComplete: false)
        #expect(cut.map(\.result) == [.permerror])
        #expect(cut.first?.reason?.contains("header section longer") == true)
    }

    /// dkimpy signs a 2.4 MiB body full of WSP runs and trailing empty lines;
    /// the streaming verifier, fed in uneven chunks, agrees.
    @Test(arguments: ["simple/simple", "relaxed/relaxed"])
    func multiMegabyteBodySignedByDkimpyVerifies(canonicalization: String) async throws {
        let script = DKIMOracleTests.shared.appendingPathComponent("oracles/dkim-sign.py").path
        try #require(FileManager.default.fileExists(atPath: script), "missing \(script)")
        var rng = SplitMix(seed: 2)
        var lines = ["From: a@example.com", "To: b@example.net", "Subject: big", "Date: Tue, 01 Apr 2025 10:00:00 +0000", ""]
        for _ in 0..<40_000 {
            lines.append(String((0..<Int.random(in: 0...120, using: &rng)).map { _ in "ab  \t".randomElement(using: &rng)! }))
        }
        lines += ["", "", ""]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dkim-big-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let unsigned = directory.appendingPathComponent("big.eml")
        try Data(lines.joined(separator: "\r\n").utf8).write(to: unsigned)
        let signedPath = directory.appendingPathComponent("signed.eml").path
        let keys = directory.appendingPathComponent("keys").path
        let result = try await BlockingWork(width: 1).run {
            try ChildProcess.run("python3", [script, unsigned.path, "--canon", canonicalization, "--keydir", keys, "-o", signedPath])
        }
        try #require(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        let signed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: signedPath)))
        #expect(signed.count > 2_000_000)
        let zone = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: keys + "/zone.json"))) as! [String: [[String: String]]]
        let resolver = DKIMFakeResolver()
        for (name, records) in zone { resolver.publish(name, records[0]["TXT"]!) }

        let verifier = DKIMVerifier(resolver: resolver, logger: Logger(label: "dkim-test"))
        func verdicts(_ message: [UInt8]) async -> [DKIMResult] {
            let headerLength = DKIMMessage.headerBlockLength(message)
            let hasher = DKIMBodyHasher(headerBlock: Array(message[..<headerLength]))
            var start = headerLength
            var chunk = 1
            while start < message.count {
                let end = min(message.count, start + chunk)
                message[start..<end].withUnsafeBytes { hasher.update($0) }
                start = end
                chunk = chunk * 7 % 65_521 + 1  // uneven, from 1 byte up to 64 KiB
            }
            return await verifier.verify(headerBlock: Array(message[..<headerLength]), bodyHashes: hasher.finish()).map(\.result)
        }
        #expect(await verdicts(signed) == [.pass, .pass])
        var tampered = signed
        tampered[tampered.count - 10] = UInt8(ascii: "z")
        #expect(await verdicts(tampered) == [.fail, .fail])
    }
}

/// A seeded generator, so a failure can be replayed.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
