import COpenSSL

/// HMAC through libcrypto's `EVP_Q_mac` (the non-deprecated OpenSSL 3 API).
public enum HMAC {
    /// HMAC-SHA256 of `message` under `key`.
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(digest: "SHA256", outputLength: 32, key: key, message: message)
    }

    /// HMAC-SHA1 of `message` under `key` (TOTP, RFC 6238).
    public static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(digest: "SHA1", outputLength: 20, key: key, message: message)
    }

    private static func mac(digest: String, outputLength: Int, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputLength)
        var written = 0
        // An empty key or message still needs a valid pointer for libcrypto.
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        let result = keyBytes.withUnsafeBytes { k in
            messageBytes.withUnsafeBytes { m in
                EVP_Q_mac(
                    nil, "HMAC", nil, digest, nil,
                    k.baseAddress, key.count,
                    m.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                    &out, out.count, &written
                )
            }
        }
        precondition(result != nil && written == outputLength, "EVP_Q_mac(HMAC-\(digest)) failed")
        return out
    }
}
