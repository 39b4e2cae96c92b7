import COpenSSL

/// A hash computed piece by piece (libcrypto's `EVP_MD_CTX`): for input
/// that arrives in chunks and is never held whole, such as a DKIM body
/// hashed while DATA is received. One owner at a time; not `Sendable`.
public final class DigestContext {
    public let digest: MessageDigest
    private let context: OpaquePointer

    public init(_ digest: MessageDigest) {
        self.digest = digest
        // Allocation failure is fatal here as everywhere else in Swift.
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        self.context = context
        precondition(EVP_DigestInit_ex(context, digest.evp, nil) == 1, "EVP_DigestInit_ex failed")
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds `bytes` to the hash.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(EVP_DigestUpdate(context, base, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    /// Adds `bytes` to the hash.
    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of everything added; the context is spent afterwards.
    public func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: digest.byteCount)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(context, &out, &length) == 1 && Int(length) == digest.byteCount, "EVP_DigestFinal_ex failed")
        return out
    }
}
