import COpenSSL

/// A hash function of libcrypto's EVP interface, chosen at run time (DKIM's
/// `a=` tag names one per signature).
public enum MessageDigest: Sendable, Equatable, CaseIterable {
    /// SHA-1: only for checking old signatures (DKIM `rsa-sha1`), never for new ones.
    case sha1
    /// SHA-256 (FIPS 180-4).
    case sha256

    /// The digest length in bytes.
    public var byteCount: Int {
        switch self {
        case .sha1: 20
        case .sha256: 32
        }
    }

    /// Hashes `bytes` in one call.
    public func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &out, &length, evp, nil)
        }
        // EVP_Digest with a built-in digest only fails on allocation failure,
        // which Swift treats as fatal everywhere else too.
        precondition(ok == 1 && Int(length) == byteCount, "EVP_Digest failed")
        return out
    }

    /// The libcrypto method; static, never freed.
    var evp: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        }
    }
}
