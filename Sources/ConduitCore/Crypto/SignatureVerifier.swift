import COpenSSL

/// A public key, parsed by libcrypto, that checks signatures: RSA with
/// PKCS #1 v1.5 padding over SHA-256 or SHA-1, and Ed25519 (RFC 8032,
/// PureEdDSA). The key never leaves this object and is freed with it.
// @unchecked Sendable: the EVP_PKEY is never modified after init, and
// OpenSSL 3 allows a key to be used read-only from several threads at once.
public final class SignatureVerifier: @unchecked Sendable {
    /// The kind of key.
    public enum KeyType: Sendable, Equatable {
        /// RSA (RFC 8017).
        case rsa
        /// Ed25519 (RFC 8032).
        case ed25519
    }

    /// How a signature was made.
    public enum Scheme: Sendable, Equatable {
        /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2).
        case rsaPKCS1v15SHA256
        /// For old signatures only (DKIM `rsa-sha1`).
        case rsaPKCS1v15SHA1
        /// Ed25519 over the message as given (no pre-hash by libcrypto).
        case ed25519

        var keyType: KeyType {
            switch self {
            case .rsaPKCS1v15SHA256, .rsaPKCS1v15SHA1: .rsa
            case .ed25519: .ed25519
            }
        }
    }

    private let key: OpaquePointer
    /// The kind of key this is.
    public let keyType: KeyType
    /// The key size in bits: the modulus for RSA, 256 for Ed25519.
    public let bits: Int

    /// An RSA public key from DER: an X.509 SubjectPublicKeyInfo (what DKIM
    /// key records and `openssl pkey -pubout` hold) or a bare PKCS #1
    /// RSAPublicKey. Trailing bytes after the structure are refused.
    public init(rsaPublicKeyDER der: [UInt8]) throws(CryptoError) {
        guard !der.isEmpty else { throw CryptoError(operation: "RSA public key", reason: "empty key") }
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            if let key = Self.decode(buffer, { pointer, length in d2i_PUBKEY_ex(nil, &pointer, length, nil, nil) }) {
                return key
            }
            ERR_clear_error()
            return Self.decode(buffer) { pointer, length in d2i_PublicKey(EVP_PKEY_RSA, nil, &pointer, length) }
        }
        guard let parsed else { throw CryptoError.fromQueue("RSA public key") }
        guard EVP_PKEY_get_base_id(parsed) == EVP_PKEY_RSA else {
            EVP_PKEY_free(parsed)
            throw CryptoError(operation: "RSA public key", reason: "not an RSA key")
        }
        key = parsed
        keyType = .rsa
        bits = Int(EVP_PKEY_get_bits(parsed))
    }

    /// An Ed25519 public key from its 32 raw bytes (RFC 8032 §5.1.5).
    public init(ed25519PublicKey raw: [UInt8]) throws(CryptoError) {
        guard raw.count == 32 else {
            throw CryptoError(operation: "Ed25519 public key", reason: "\(raw.count) bytes, not 32")
        }
        let parsed = raw.withUnsafeBufferPointer { buffer in
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, buffer.baseAddress, buffer.count)
        }
        guard let parsed else { throw CryptoError.fromQueue("Ed25519 public key") }
        key = parsed
        keyType = .ed25519
        bits = 256
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// Whether `signature` is a valid signature of `message` under this key
    /// with `scheme`. A scheme that does not fit the key type, or any
    /// libcrypto error, is `false`.
    public func isValidSignature(_ signature: [UInt8], of message: [UInt8], scheme: Scheme) -> Bool {
        guard scheme.keyType == keyType, !signature.isEmpty else { return false }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer {
            EVP_MD_CTX_free(context)
            ERR_clear_error()
        }
        let digest: OpaquePointer? = switch scheme {
        case .rsaPKCS1v15SHA256: MessageDigest.sha256.evp
        case .rsaPKCS1v15SHA1: MessageDigest.sha1.evp
        case .ed25519: nil
        }
        // RSA keys default to PKCS #1 v1.5 padding; Ed25519 takes no digest.
        guard EVP_DigestVerifyInit(context, nil, digest, nil, key) == 1 else { return false }
        // libcrypto wants a valid pointer even for an empty message.
        let bytes = message.isEmpty ? [0] : message
        let result = signature.withUnsafeBufferPointer { sig in
            bytes.withUnsafeBufferPointer { tbs in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, tbs.baseAddress, message.count)
            }
        }
        return result == 1
    }

    /// Runs a `d2i_*` decoder over all of `buffer`; `nil` if it fails or
    /// leaves bytes unread.
    private static func decode(
        _ buffer: UnsafeBufferPointer<UInt8>,
        _ decoder: (inout UnsafePointer<UInt8>?, Int) -> OpaquePointer?
    ) -> OpaquePointer? {
        guard let start = buffer.baseAddress else { return nil }
        var pointer: UnsafePointer<UInt8>? = start
        guard let key = decoder(&pointer, buffer.count) else { return nil }
        guard let end = pointer, end - start == buffer.count else {
            EVP_PKEY_free(key)
            return nil
        }
        return key
    }
}
