import ConduitCore
import Testing

@Suite struct DigestTests {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    @Test func sha256KnownAnswers() {
        #expect(Self.hex(SHA256.hash("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Self.hex(SHA256.hash("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// RFC 4231 test cases 1 and 2.
    @Test func hmacSHA256RFC4231() {
        let key1 = [UInt8](repeating: 0x0b, count: 20)
        #expect(Self.hex(HMAC.sha256(key: key1, message: Array("Hi There".utf8)))
            == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Self.hex(HMAC.sha256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    /// RFC 2202 test case 2 (HMAC-SHA1, the TOTP primitive).
    @Test func hmacSHA1RFC2202() {
        #expect(Self.hex(HMAC.sha1(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8)))
            == "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
    }

    @Test func hmacWithEmptyKeyAndMessage() {
        // HMAC-SHA256("", "") from any reference implementation.
        #expect(Self.hex(HMAC.sha256(key: [], message: []))
            == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    /// RFC 7914 §12 vectors 1 and 2.
    @Test func scryptRFC7914() throws {
        let v1 = try Scrypt(n: 16, r: 1, p: 1).derive(password: [], salt: [], length: 64)
        #expect(Self.hex(v1) == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        let v2 = try Scrypt(n: 1024, r: 8, p: 16).derive(password: Array("password".utf8), salt: Array("NaCl".utf8), length: 64)
        #expect(Self.hex(v2) == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test func scryptRejectsBadParameters() {
        #expect(throws: CryptoError.self) { try Scrypt(n: 1000, r: 8, p: 1).derive(password: [1], salt: [1]) }
        #expect(throws: CryptoError.self) { try Scrypt(n: 1 << 30, r: 8, p: 1).derive(password: [1], salt: [1]) }
    }

    @Test func constantTimeEquality() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([], []))
    }

    @Test func secureRandomIsRandom() {
        let a = SecureRandom.bytes(32)
        let b = SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(SecureRandom.bytes(0).isEmpty)
    }
}
