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
            EVP_Digest(input.baseAddress, input.count, &out, &length, FetchedDigest.sha256.md, nil)
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

/// SHA-256's implementation fetched from the default provider once. With
/// `EVP_sha256()` every `EVP_Digest` fetches it again by name (OpenSSL 3's
/// "implicit fetch": a locked lookup in the provider's method store), which
/// cost more than hashing a token (docs/PERFORMANCE.md, "REST (issue 15)").
final class FetchedDigest: @unchecked Sendable {
    // An `EVP_MD` is immutable once fetched and may be used from any thread
    // (OpenSSL 3 documents fetched algorithms as thread-safe to share); it is
    // never freed, like the static `EVP_sha256()` it replaces.
    let md: OpaquePointer?

    private init(name: String) {
        // nil (no provider offers it) falls back to the implicit fetch.
        md = EVP_MD_fetch(nil, name, nil) ?? EVP_sha256()
    }

    static let sha256 = FetchedDigest(name: "SHA2-256")
}
