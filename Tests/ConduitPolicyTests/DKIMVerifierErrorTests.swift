import ConduitCore
import ConduitDNS
@testable import ConduitPolicy
import Foundation
import Testing

/// Keys that are missing, revoked, unfit or unreachable; signatures that
/// are malformed; messages that are hostile.
@Suite struct DKIMVerifierErrorTests {
    static func signed(_ key: DKIMTestKey = DKIMKeys.rsa, tags: String = "", headers: String = "from:to:subject") throws -> String {
        try DKIMTestSigner.sign(dkimSampleMessage, key: key, headers: headers, tags: tags)
    }

    func verdict(record: String?, message: String? = nil) async throws -> DKIMVerdict? {
        let resolver = DKIMFakeResolver()
        if let record { resolver.publish("sel._domainkey.example.com", record) }
        return await dkimVerify(try message ?? Self.signed(), resolver).first
    }

    @Test func keyRecordProblems() async throws {
        let p = DKIMKeys.rsa.p
        #expect(try await verdict(record: "v=DKIM1; k=rsa; p=\(p)")?.result == .pass)
        #expect(try await verdict(record: "p=\(p)")?.result == .pass)
        #expect(try await verdict(record: "v=DKIM1; h=sha256; s=email; t=y; n=notes; p=\(p)")?.result == .pass)
        let revoked = try await verdict(record: "v=DKIM1; k=rsa; p=")
        #expect(revoked?.result == .fail)
        #expect(revoked?.reason == "key revoked")
        #expect(try await verdict(record: nil)?.result == .permerror)
        #expect(try await verdict(record: nil)?.reason == "no key record at sel._domainkey.example.com")
        for record in [
            "v=DKIM2; p=\(p)", "k=ed25519; p=\(p)", "k=dsa; p=\(p)", "h=sha1; p=\(p)", "s=tlsrpt; p=\(p)",
            "p=!!!!", "p=\(p.dropLast(8))", "v=DKIM1; p", "k=rsa; k=rsa; p=\(p)", "v=DKIM1; k=rsa",
            "p=\(DKIMKeys.ed25519.p)",
        ] {
            #expect(try await verdict(record: record)?.result == .permerror, "\(record)")
        }
    }

    @Test func strictKeysWantIdentityInExactlyTheDomain() async throws {
        let p = DKIMKeys.rsa.p
        let sub = try Self.signed(tags: "i=joe@mail.example.com; ")
        #expect(try await verdict(record: "p=\(p)", message: sub)?.result == .pass)
        #expect(try await verdict(record: "t=s; p=\(p)", message: sub)?.result == .permerror)
        let exact = try Self.signed(tags: "i=joe@example.com; ")
        #expect(try await verdict(record: "t=y:s; p=\(p)", message: exact)?.result == .pass)
    }

    @Test func shortRSAKeysAreRefused() async throws {
        let small = try DKIMTestKey(.rsa(bits: 512))
        defer { small.remove() }
        let message = try Self.signed(small)
        let result = try await verdict(record: small.record, message: message)
        #expect(result?.result == .permerror)
        #expect(result?.reason == "RSA key of 512 bits is too short")
    }

    @Test func dnsTemporaryFailureIsTemperrorNeverFail() async throws {
        let resolver = DKIMFakeResolver()
        resolver.set("sel._domainkey.example.com", .temporaryFailure("timeout"))
        let verdicts = await dkimVerify(try Self.signed(), resolver)
        #expect(verdicts.map(\.result) == [.temperror])
        resolver.set("sel._domainkey.example.com", .nodata)
        #expect(await dkimVerify(try Self.signed(), resolver).map(\.result) == [.permerror])
        resolver.set("sel._domainkey.example.com", .records([DNSRecord(name: "x", type: 1, ttl: 1, data: .a(.init("192.0.2.1")!))]))
        #expect(await dkimVerify(try Self.signed(), resolver).map(\.result) == [.permerror])
    }

    @Test func malformedSignatures() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let good = try Self.signed()
        func result(_ replace: String, _ with: String) async -> DKIMVerdict? {
            let message = good.replacingOccurrences(of: replace, with: with)
            #expect(message != good, "\(replace) not in the signature")
            return await dkimVerify(message, resolver).first
        }
        #expect(await result("v=1;", "v=2;")?.result == .permerror)
        #expect(await result("v=1;", "")?.result == .permerror)
        #expect(await result("d=example.com;", "")?.reason == "d= is missing")
        #expect(await result("a=rsa-sha256", "a=rsa-sha512")?.algorithm == "rsa-sha512")
        #expect(await result("a=rsa-sha256", "a=rsa-sha512")?.result == .permerror)
        #expect(await result("c=relaxed/relaxed", "c=fancy/relaxed")?.result == .permerror)
        #expect(await result("h=from:to:subject", "h=to:subject")?.reason == "From is not signed (h=)")
        #expect(await result("s=sel;", "s=sel; i=joe@example.org;")?.result == .permerror)
        #expect(await result("s=sel;", "s=sel; q=https;")?.result == .permerror)
        #expect(await result("s=sel;", "s=sel; l=-5;")?.result == .permerror)
        #expect(await result("s=sel;", "s=sel; s=other;")?.result == .neutral)
        #expect(await result("s=sel;", "s=sel; 9=x;")?.result == .neutral)
        #expect(await result("s=sel;", "s=sel;;")?.result == .neutral)
        #expect(await result(" b=", " b=!!")?.result == .neutral)
        #expect(await result("bh=", "bh=A")?.result == .neutral)
        // Unknown tags are ignored (§3.2).
        #expect(await dkimVerify(try Self.signed(tags: "z=From:x; zz=yy; "), resolver).map(\.result) == [.pass])
        // Tag-list errors come before anything else: d= and s= are not reported.
        #expect(await result("s=sel;", "s=sel; s=other;") == DKIMVerdict(result: .neutral, domain: "", selector: "", algorithm: "", reason: "signature is not a tag list: tag s= appears twice"))
    }

    @Test func nothingIsLookedUpForUnusableSignatures() async throws {
        let resolver = DKIMFakeResolver()
        let message = try Self.signed().replacingOccurrences(of: "v=1;", with: "v=9;")
        #expect(await dkimVerify(message, resolver).map(\.result) == [.permerror])
        #expect(resolver.recordedQueries.isEmpty)
    }

    @Test func signaturesBeyondTheLimitAreNotChecked() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.ed25519.record)
        var message = dkimSampleMessage
        for index in 0..<(DKIMVerifier.maxSignatures + 2) {
            message = try DKIMTestSigner.sign(message, key: DKIMKeys.ed25519, selector: index < 2 ? "sel" : "s\(index)")
        }
        let verdicts = await dkimVerify(message, resolver)
        #expect(verdicts.count == DKIMVerifier.maxSignatures + 2)
        #expect(verdicts.suffix(2).map(\.result) == [.policy, .policy])
        #expect(verdicts.suffix(2).map(\.selector) == ["sel", "sel"])
        #expect(verdicts.prefix(DKIMVerifier.maxSignatures).allSatisfy { $0.result == .permerror })
        let queries = resolver.recordedQueries
        #expect(Set(queries).count == DKIMVerifier.maxSignatures)
        #expect(!queries.contains("sel._domainkey.example.com"))
    }

    @Test func malformedHeaderBlockIsPermerror() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let signed = try Self.signed()
        let broken = signed.replacingOccurrences(of: "To: Bob", with: "this line has no colon\r\nTo: Bob")
        let verdict = await dkimVerify(broken, resolver).first
        #expect(verdict?.result == .permerror)
        #expect(verdict?.domain == "example.com")
        #expect(await dkimVerify("From MAILER-DAEMON Tue Apr  1 10:00:00 2025\r\n" + signed, resolver).map(\.result) == [.pass])
    }

    @Test func hostileInputNeitherCrashesNorHangs() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let good = try Self.signed()
        let hugeTagList = (0..<100_000).map { "t\($0)=v" }.joined(separator: ";")
        let hugeHeaderList = Array(repeating: "received", count: 20_000).joined(separator: ":")
        let manyFields = String(repeating: "Received: x\r\n", count: 50_000)
        var random = SystemRandomNumberGenerator()
        let garbage = (0..<200).map { _ in
            String(decoding: (0..<Int.random(in: 0..<400, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, as: UTF8.self)
        }
        let messages = [
            "DKIM-Signature: \(hugeTagList)\r\n\r\n",
            good.replacingOccurrences(of: "h=from:to:subject", with: "h=from:to:subject:\(hugeHeaderList)"),
            "DKIM-Signature:\r\n\r\n", "DKIM-Signature: ;\r\n", "DKIM-Signature: =\r\n", "DKIM-Signature: b\r\n",
            "DKIM-Signature: v=1; b=\(String(repeating: "A", count: 1_000_000))\r\n\r\n",
            " leading continuation\r\nDKIM-Signature: v=1\r\n\r\n", "\r\n\r\nDKIM-Signature: v=1\r\n",
            "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA; l=99999999999999999999999999",
        ] + garbage.map { "DKIM-Signature: \($0)\r\n\r\n\($0)" } + garbage
        for message in messages {
            let verdicts = await dkimVerify(message, resolver)
            #expect(verdicts.allSatisfy { $0.result != .pass })
        }
        #expect(await dkimVerify(manyFields + good, resolver).map(\.result) == [.pass])
    }
}
