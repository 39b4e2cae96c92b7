import COpenSSL

/// SHA-256 through libcrypto's EVP interface.
public enum SHA256 {
    /// The digest length in bytes.
    public static let byteCount = 32

    /// Hashes `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, EVP_sha256(), nil)
        }
        // EVP_Digest with the built-in SHA-256 only fails on allocation failure,
        // which Swift treats as fatal everywhere else too.
        precondition(ok == 1 && length == byteCount, "EVP_Digest(SHA-256) failed")
        return out
    }

    /// Hashes the UTF-8 bytes of `string`.
    public static func hash(_ string: String) -> [UInt8] {
        hash(Array(string.utf8))
    }
}
