import ConduitCore
import Foundation
import Testing

/// ConduitCore's libcrypto signature checks, against RFC 8032 vectors and
/// signatures made by the openssl tool.
@Suite struct SignatureVerifierTests {
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    @Test func ed25519Rfc8032Vectors() throws {
        // RFC 8032 §7.1 TEST 1 (empty message) and TEST 2 (one byte). TEST 1's key is RFC 8463's example key.
        let key1 = try SignatureVerifier(ed25519PublicKey: Self.hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let sig1 = Self.hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        #expect(key1.keyType == .ed25519 && key1.bits == 256)
        #expect(key1.isValidSignature(sig1, of: [], scheme: .ed25519))
        #expect(!key1.isValidSignature(sig1, of: [0], scheme: .ed25519))
        let key2 = try SignatureVerifier(ed25519PublicKey: Self.hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"))
        let sig2 = Self.hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        #expect(key2.isValidSignature(sig2, of: [0x72], scheme: .ed25519))
        #expect(!key2.isValidSignature(sig1, of: [0x72], scheme: .ed25519))
        #expect(!key2.isValidSignature(sig2, of: [0x72], scheme: .rsaPKCS1v15SHA256))
        #expect(!key2.isValidSignature([], of: [0x72], scheme: .ed25519))
    }

    @Test func ed25519KeysMustBe32Bytes() {
        #expect(throws: CryptoError.self) { try SignatureVerifier(ed25519PublicKey: Array(repeating: 1, count: 31)) }
        #expect(throws: CryptoError.self) { try SignatureVerifier(ed25519PublicKey: []) }
    }

    @Test func ed25519SignaturesOfTheOpensslTool() throws {
        let key = try DKIMTestKey(.ed25519)
        defer { key.remove() }
        let message = Array("the quick brown fox".utf8)
        let verifier = try SignatureVerifier(ed25519PublicKey: Array(key.publicKeyInfo.suffix(32)))
        let signature = try key.sign(message)
        #expect(verifier.isValidSignature(signature, of: message, scheme: .ed25519))
        #expect(!verifier.isValidSignature(signature, of: message + [0], scheme: .ed25519))
    }

    @Test func rsaSHA256AndSHA1() throws {
        let key = DKIMKeys.rsa
        let verifier = try SignatureVerifier(rsaPublicKeyDER: key.publicKeyInfo)
        #expect(verifier.keyType == .rsa && verifier.bits == 2048)
        let message = Array("DKIM header data".utf8)
        let sha256 = try key.sign(message, digest: "sha256")
        let sha1 = try key.sign(message, digest: "sha1")
        #expect(verifier.isValidSignature(sha256, of: message, scheme: .rsaPKCS1v15SHA256))
        #expect(verifier.isValidSignature(sha1, of: message, scheme: .rsaPKCS1v15SHA1))
        #expect(!verifier.isValidSignature(sha1, of: message, scheme: .rsaPKCS1v15SHA256))
        #expect(!verifier.isValidSignature(sha256, of: message, scheme: .rsaPKCS1v15SHA1))
        #expect(!verifier.isValidSignature(sha256, of: Array("DKIM header datA".utf8), scheme: .rsaPKCS1v15SHA256))
        #expect(!verifier.isValidSignature(sha256, of: message, scheme: .ed25519))
        var flipped = sha256
        flipped[10] ^= 1
        #expect(!verifier.isValidSignature(flipped, of: message, scheme: .rsaPKCS1v15SHA256))
        #expect(!verifier.isValidSignature(Array(sha256.dropLast()), of: message, scheme: .rsaPKCS1v15SHA256))
    }

    @Test func rsaKeysInBothDERForms() throws {
        let key = DKIMKeys.rsa
        let bare = try OpenSSLTool.run(["rsa", "-in", key.pemPath, "-RSAPublicKey_out", "-outform", "DER"])
        let fromBare = try SignatureVerifier(rsaPublicKeyDER: bare)
        #expect(fromBare.bits == 2048)
        let message = Array("x".utf8)
        #expect(fromBare.isValidSignature(try key.sign(message), of: message, scheme: .rsaPKCS1v15SHA256))
        #expect(throws: CryptoError.self) { try SignatureVerifier(rsaPublicKeyDER: []) }
        #expect(throws: CryptoError.self) { try SignatureVerifier(rsaPublicKeyDER: Array(key.publicKeyInfo.dropLast(3))) }
        #expect(throws: CryptoError.self) { try SignatureVerifier(rsaPublicKeyDER: key.publicKeyInfo + [0]) }
        #expect(throws: CryptoError.self) { try SignatureVerifier(rsaPublicKeyDER: Array(repeating: 0x30, count: 64)) }
        let ec = try DKIMTestKey(.ec)
        defer { ec.remove() }
        let error = #expect(throws: CryptoError.self) { try SignatureVerifier(rsaPublicKeyDER: ec.publicKeyInfo) }
        #expect(error?.reason == "not an RSA key")
    }

    @Test func digests() {
        #expect(MessageDigest.sha256.hash([]) == Self.hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        #expect(MessageDigest.sha1.hash(Array("abc".utf8)) == Self.hex("a9993e364706816aba3e25717850c26c9cd0d89d"))
        #expect(MessageDigest.sha1.byteCount == 20 && MessageDigest.sha256.byteCount == 32)
    }
}
