import COpenSSL

/// Cryptographically secure random bytes from libcrypto's DRBG.
public enum SecureRandom {
    /// `count` random bytes. Traps if the system cannot supply entropy: issuing
    /// a token from a broken generator would be worse than stopping.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0)
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        let ok = RAND_bytes(&out, Int32(count))
        precondition(ok == 1, "RAND_bytes failed: \(CryptoError.fromQueue("random"))")
        return out
    }
}
