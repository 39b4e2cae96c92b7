import COpenSSL

/// scrypt (RFC 7914) key derivation through libcrypto.
public struct Scrypt: Sendable, Equatable {
    /// CPU/memory cost, a power of two.
    public var n: UInt64
    /// Block size.
    public var r: UInt64
    /// Parallelism.
    public var p: UInt64

    /// OWASP's recommended minimum for password storage: N=2^17, r=8, p=1.
    public static let passwordDefault = Scrypt(n: 1 << 17, r: 8, p: 1)

    public init(n: UInt64, r: UInt64, p: UInt64) {
        self.n = n
        self.r = r
        self.p = p
    }

    /// Derives `length` bytes from `password` and `salt`.
    public func derive(password: [UInt8], salt: [UInt8], length: Int = 32) throws -> [UInt8] {
        guard n > 1, n & (n - 1) == 0, r > 0, p > 0, length > 0 else {
            throw CryptoError(operation: "scrypt", reason: "invalid parameters N=\(n) r=\(r) p=\(p)")
        }
        // scrypt needs 128·N·r·p bytes of working memory; allow exactly that plus slack.
        let (work, overflow) = (128 * r * p).multipliedReportingOverflow(by: n)
        guard !overflow, work <= 1 << 31 else {
            throw CryptoError(operation: "scrypt", reason: "parameters need more than 2 GiB")
        }
        let maxMemory = work + (1 << 20) * (r + p)
        var out = [UInt8](repeating: 0, count: length)
        let password = password.isEmpty ? [] : password
        let ok = password.withUnsafeBytes { pw in
            salt.withUnsafeBytes { s in
                EVP_PBE_scrypt(
                    pw.baseAddress?.assumingMemoryBound(to: CChar.self), pw.count,
                    s.baseAddress?.assumingMemoryBound(to: UInt8.self), s.count,
                    n, r, p, maxMemory, &out, length
                )
            }
        }
        guard ok == 1 else { throw CryptoError.fromQueue("scrypt") }
        return out
    }
}
