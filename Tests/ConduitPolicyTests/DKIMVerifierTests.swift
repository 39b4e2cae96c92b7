import ConduitDNS
@testable import ConduitPolicy
import Foundation
import Testing

/// Keys made once with the openssl tool, shared by the DKIM tests.
enum DKIMKeys {
    static let rsa = try! DKIMTestKey.reused(.rsa(bits: 2048), name: "rsa2048")
    static let ed25519 = try! DKIMTestKey.reused(.ed25519, name: "ed25519")
}

@Suite struct DKIMVerifierTests {
    /// RFC 8463 Appendix A.3: the RFC 6376 example message signed with the
    /// Ed25519 and the RSA key of A.2 (relaxed/relaxed).
    static let rfc8463Message = [
        "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=brisbane; t=1528637909; h=from : to :",
        " subject : date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus",
        " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        " d=football.example.com; i=@football.example.com;",
        " q=dns/txt; s=test; t=1528637909; h=from : to : subject :",
        " date : message-id : from : subject : date;",
        " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;",
        " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3",
        " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz",
        " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=",
        "From: Joe SixPack <joe@football.example.com>",
        "To: Suzie Q <suzie@shopping.example.net>",
        "Subject: Is dinner ready?",
        "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)",
        "Message-ID: <20030712040037.46341.5F8J@football.example.com>",
        "",
        "Hi.",
        "",
        "We lost the game.  Are you hungry yet?",
        "",
        "Joe.",
        "",
    ].joined(separator: "\r\n")
    static let rfc8463Ed25519Key = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
    static let rfc8463RSAKey = ["v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/",
                                "J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"]
    static let rfc8463Time = Date(timeIntervalSince1970: 1_528_637_909 + 60)

    static func rfc8463Resolver(splitRSAKey: Bool = true) -> DKIMFakeResolver {
        let resolver = DKIMFakeResolver()
        resolver.publish("brisbane._domainkey.football.example.com", rfc8463Ed25519Key)
        if splitRSAKey {
            resolver.publish("test._domainkey.football.example.com", rfc8463RSAKey[0], rfc8463RSAKey[1])
        } else {
            resolver.publish("test._domainkey.football.example.com", rfc8463RSAKey.joined())
        }
        return resolver
    }

    @Test func rfc8463ExampleVerifiesBothSignatures() async {
        for split in [true, false] {
            let verdicts = await dkimVerify(Self.rfc8463Message, Self.rfc8463Resolver(splitRSAKey: split), now: Self.rfc8463Time)
            #expect(verdicts == [
                DKIMVerdict(result: .pass, domain: "football.example.com", selector: "brisbane", algorithm: "ed25519-sha256", reason: nil),
                DKIMVerdict(result: .pass, domain: "football.example.com", selector: "test", algorithm: "rsa-sha256", reason: nil),
            ])
        }
    }

    @Test func rfc8463ExampleWithBareLineFeedsStillVerifies() async {
        let unix = Self.rfc8463Message.replacingOccurrences(of: "\r\n", with: "\n")
        let verdicts = await dkimVerify(unix, Self.rfc8463Resolver(), now: Self.rfc8463Time)
        #expect(verdicts.map(\.result) == [.pass, .pass])
    }

    @Test func rfc8463ExampleTamperedFails() async {
        let tampered = Self.rfc8463Message.replacingOccurrences(of: "Is dinner ready?", with: "Is lunch ready?")
        let verdicts = await dkimVerify(tampered, Self.rfc8463Resolver(), now: Self.rfc8463Time)
        #expect(verdicts.map(\.result) == [.fail, .fail])
        #expect(verdicts.allSatisfy { $0.reason == "signature does not verify" })
        let body = Self.rfc8463Message.replacingOccurrences(of: "Joe.", with: "Jim.")
        #expect(await dkimVerify(body, Self.rfc8463Resolver(), now: Self.rfc8463Time).map(\.reason) == ["body hash mismatch", "body hash mismatch"])
    }

    @Test func unsignedMessageHasNoVerdicts() async {
        #expect(await dkimVerify(dkimSampleMessage, DKIMFakeResolver()).isEmpty)
        #expect(await dkimVerify("", DKIMFakeResolver()).isEmpty)
    }

    @Test(arguments: ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed", "relaxed"])
    func ownSignaturesVerifyInEveryCanonicalization(canonicalization: String) async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        resolver.publish("ed._domainkey.example.com", DKIMKeys.ed25519.record)
        var signed = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa, canonicalization: canonicalization)
        signed = try DKIMTestSigner.sign(signed, key: DKIMKeys.ed25519, selector: "ed", canonicalization: canonicalization)
        let verdicts = await dkimVerify(signed, resolver)
        #expect(verdicts.map(\.result) == [.pass, .pass], "\(verdicts)")
        #expect(verdicts.map(\.selector) == ["ed", "sel"])
        #expect(verdicts.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
    }

    @Test func rsaSHA1VerifiesAndIsReportedAsSuch() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let signed = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa, algorithm: "rsa-sha1")
        #expect(await dkimVerify(signed, resolver) == [
            DKIMVerdict(result: .pass, domain: "example.com", selector: "sel", algorithm: "rsa-sha1", reason: nil),
        ])
    }

    @Test func bodyLengthLimitsWhatIsSigned() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let bodyBytes = DKIMCanonicalization.relaxed.body(DKIMMessage(Array(dkimSampleMessage.utf8)).body).count
        let signed = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa, bodyLength: bodyBytes)
        #expect(await dkimVerify(signed + "Unsigned footer\r\n", resolver).map(\.result) == [.pass])
        let partial = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa, bodyLength: 5)
        #expect(await dkimVerify(partial, resolver).map(\.result) == [.pass])
        let tooLong = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa, tags: "l=\(bodyBytes + 1); ")
        let verdict = await dkimVerify(tooLong, resolver)
        #expect(verdict.map(\.result) == [.permerror])
        #expect(verdict.first?.reason?.contains("longer than the body") == true)
    }

    @Test func expiryAndTimestamp() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.ed25519.record)
        let now = Date(timeIntervalSince1970: 1_750_000_000)
        func verdict(_ tags: String) async throws -> DKIMVerdict? {
            let signed = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.ed25519, tags: tags)
            return await dkimVerify(signed, resolver, now: now).first
        }
        #expect(try await verdict("t=1749990000; x=1750086400; ")?.result == .pass)
        #expect(try await verdict("x=1700000000; ")?.result == .permerror)
        #expect(try await verdict("x=1700000000; ")?.reason == "signature expired at x=1700000000")
        // Within dkimpy's ten hours of clock skew: still accepted.
        #expect(try await verdict("x=1749990000; ")?.result == .pass)
        #expect(try await verdict("t=1750030000; ")?.result == .pass)
        #expect(try await verdict("t=1750100000; ")?.result == .permerror)
        #expect(try await verdict("t=1750000000; x=1749999999; ")?.reason == "x= is before t=")
        #expect(try await verdict("t=soon; ")?.result == .permerror)
    }

    @Test func unsignedHeadersMayBeAddedButOversignedOnesNot() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let signed = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa, headers: "from:to:subject:subject:reply-to")
        #expect(await dkimVerify(signed, resolver).map(\.result) == [.pass])
        #expect(await dkimVerify("X-Spam: no\r\n" + signed, resolver).map(\.result) == [.pass])
        #expect(await dkimVerify("Subject: buy now\r\n" + signed, resolver).map(\.result) == [.fail])
        #expect(await dkimVerify("Reply-To: evil@example.org\r\n" + signed, resolver).map(\.result) == [.fail])
    }

    @Test func aSecondUnsignedFromFailsAsInDkimpy() async throws {
        let resolver = DKIMFakeResolver()
        resolver.publish("sel._domainkey.example.com", DKIMKeys.rsa.record)
        let signed = try DKIMTestSigner.sign(dkimSampleMessage, key: DKIMKeys.rsa)
        #expect(await dkimVerify("From: Mallory <m@example.org>\r\n" + signed, resolver).map(\.result) == [.fail])
    }
}
