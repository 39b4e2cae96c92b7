import ConduitCore
import Foundation
import Testing

@Suite struct IdentityPrimitivesTests {
    /// RFC 6238 Appendix B, SHA-1 rows (8 digits).
    @Test(arguments: [
        (Int64(59), "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ])
    func totpRFC6238Vectors(time: Int64, expected: String) {
        let totp = TOTP(secret: Array("12345678901234567890".utf8), digits: 8)
        #expect(totp.code(at: time) == expected)
    }

    /// RFC 4226 Appendix D: HOTP values for counters 0…9.
    @Test func hotpRFC4226Vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        #expect((0..<10).map { totp.code(step: Int64($0)) } == expected)
    }

    @Test func totpMatchesWithinOneStepAndOnlyOnce() {
        let totp = TOTP(secret: SecureRandom.bytes(20))
        let now: Int64 = 1_700_000_000
        let step = totp.step(at: now)
        #expect(totp.match(totp.code(step: step), at: now, after: nil) == step)
        #expect(totp.match(totp.code(step: step - 1), at: now, after: nil) == step - 1)
        #expect(totp.match(totp.code(step: step + 1), at: now, after: nil) == step + 1)
        #expect(totp.match(totp.code(step: step - 2), at: now, after: nil) == nil)
        // Once step was used, its code (and earlier ones) no longer match.
        #expect(totp.match(totp.code(step: step), at: now, after: step) == nil)
        #expect(totp.match(totp.code(step: step - 1), at: now, after: step) == nil)
        #expect(totp.match(totp.code(step: step + 1), at: now, after: step) == step + 1)
        #expect(totp.match("12345", at: now, after: nil) == nil)
        #expect(totp.match("abcdef", at: now, after: nil) == nil)
    }

    @Test func base32RoundTripAndRFC4648Vectors() {
        #expect(Base32.encode(Array("foobar".utf8)) == "MZXW6YTBOI")
        #expect(Base32.encode(Array("f".utf8)) == "MY")
        #expect(Base32.decode("MZXW6YTBOI======") == Array("foobar".utf8))
        #expect(Base32.decode("mzxw6ytboi") == Array("foobar".utf8))
        #expect(Base32.decode("MZ1") == nil)
        let secret = SecureRandom.bytes(20)
        #expect(Base32.decode(Base32.encode(secret)) == secret)
        #expect(Base32.encode(secret).count == 32)
    }

    @Test func passwordHashesAreSelfDescribingAndVerify() throws {
        // Small parameters keep the test fast; the format carries them.
        let hasher = PasswordHasher(parameters: Scrypt(n: 1 << 10, r: 8, p: 1))
        let stored = try hasher.hash("correct horse")
        #expect(stored.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(hasher.verify("correct horse", against: stored))
        #expect(!hasher.verify("correct horsE", against: stored))
        #expect(try hasher.hash("correct horse") != stored)
        #expect(!hasher.verify("x", against: "$scrypt$ln=99,r=8,p=1$AAAA$AAAA"))
        #expect(!hasher.verify("x", against: "plaintext"))
        // Hashes made with weaker parameters still verify and ask to be upgraded.
        #expect(PasswordHasher().verify("correct horse", against: stored))
        #expect(PasswordHasher().needsRehash(stored))
        #expect(!hasher.needsRehash(stored))
    }

    @Test func productionPasswordParametersAreOWASPs() throws {
        #expect(Scrypt.passwordDefault == Scrypt(n: 1 << 17, r: 8, p: 1))
        let stored = try PasswordHasher().hash("a long passphrase")
        #expect(stored.hasPrefix("$scrypt$ln=17,r=8,p=1$"))
        #expect(PasswordHasher().verify("a long passphrase", against: stored))
    }

    @Test func secretTokensArePrefixedAndHashed() {
        let token = SecretToken.generate(prefix: "cdt_")
        #expect(token.count == 4 + 43)
        #expect(SecretToken.isWellFormed(token, prefix: "cdt_"))
        #expect(!SecretToken.isWellFormed(token, prefix: "cda_"))
        #expect(!SecretToken.isWellFormed(token + "x", prefix: "cdt_"))
        #expect(!SecretToken.isWellFormed("cdt_" + String(repeating: "!", count: 43), prefix: "cdt_"))
        #expect(SecretToken.hash(token).count == 64)
        #expect(SecretToken.hash(token) == SecretToken.hash(token))
        #expect(SecretToken.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func cidrParsingAndMatching() throws {
        let net = try #require(CIDR("10.1.2.3/8"))
        #expect(net.description == "10.0.0.0/8")
        #expect(net.contains(IPAddress("10.200.0.1")!))
        #expect(!net.contains(IPAddress("11.0.0.1")!))
        #expect(net.contains(IPAddress("::ffff:10.0.0.7")!))
        #expect(!net.contains(IPAddress("::1")!))
        let host = try #require(CIDR("127.0.0.1"))
        #expect(host.description == "127.0.0.1")
        #expect(host.contains(IPAddress("127.0.0.1")!))
        #expect(!host.contains(IPAddress("127.0.0.2")!))
        let v6 = try #require(CIDR("2001:DB8::1/32"))
        #expect(v6.description == "2001:db8::/32")
        #expect(v6.contains(IPAddress("2001:db8:ffff::1")!))
        #expect(!v6.contains(IPAddress("2001:db9::1")!))
        #expect(CIDR("0.0.0.0/0")!.contains(IPAddress("203.0.113.9")!))
        for bad in ["", "10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "::1/129", "host/8", "10.0.0.0/-1", "10.0.0.0/8/8"] {
            #expect(CIDR(bad) == nil, "\(bad)")
        }
    }

    @Test func emailNormalization() {
        #expect(EmailAddress.normalize(" Alice@Example.COM ") == "alice@example.com")
        #expect(EmailAddress.normalize("a.b+tag@bücher.example") == "a.b+tag@xn--bcher-kva.example")
        for bad in ["", "alice", "@example.com", "alice@", "a@b@c.com", ".a@example.com", "a..b@example.com",
                    "a b@example.com", "a@example", "\"q\"@example.com", String(repeating: "a", count: 65) + "@example.com"] {
            #expect(EmailAddress.normalize(bad) == nil, "\(bad)")
        }
    }

    @Test func timeZoneNames() {
        #expect(TimeZoneName.isValid("UTC"))
        #expect(TimeZoneName.isValid("Europe/Berlin"))
        #expect(TimeZoneName.isValid("America/Argentina/Buenos_Aires"))
        #expect(!TimeZoneName.isValid("Mars/Olympus"))
        #expect(!TimeZoneName.isValid("../../etc/passwd"))
        #expect(!TimeZoneName.isValid(""))
    }
}
