import COpenSSL
import FoundationEssentials

/// HMAC-SHA256 (RFC 2104) fed in pieces, for a message too large to hold
/// at once (a streamed webhook body): SHA-256 through libcrypto's EVP
/// digest context, the HMAC construction around it. Equal to
/// `HMAC.sha256(key:message:)` of the concatenated pieces.
/// Not `Sendable`: one owner feeds it; the context is freed with it.
public final class HMACSHA256Stream {
    private static let blockSize = 64
    private let inner: OpaquePointer
    private let outerPad: [UInt8]
    private var finished = false

    public init(key: [UInt8]) {
        var block = key.count > Self.blockSize ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: Self.blockSize - block.count)
        outerPad = block.map { $0 ^ 0x5C }
        guard let context = EVP_MD_CTX_new() else { preconditionFailure("EVP_MD_CTX_new failed") }
        inner = context
        precondition(EVP_DigestInit_ex(inner, EVP_sha256(), nil) == 1, "EVP_DigestInit_ex(SHA-256) failed")
        update(block.map { $0 ^ 0x36 })
    }

    deinit {
        EVP_MD_CTX_free(inner)
    }

    /// Adds `bytes` to the message.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "HMACSHA256Stream used after finalize()")
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        precondition(EVP_DigestUpdate(inner, base, bytes.count) == 1, "EVP_DigestUpdate failed")
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte MAC; the stream takes no more input.
    public func finalize() -> [UInt8] {
        precondition(!finished, "HMACSHA256Stream finalized twice")
        finished = true
        var digest = [UInt8](repeating: 0, count: SHA256.byteCount)
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(inner, &digest, &length) == 1 && length == SHA256.byteCount, "EVP_DigestFinal_ex failed")
        return SHA256.hash(outerPad + digest)
    }
}

extension WebhookSignature {
    /// The signature of a body fed in pieces: `Signer(...)`, `update` with
    /// each piece in order, then `signature()`. Equal to `sign(keys:id:timestamp:body:)`:
    /// one pass over the body feeds every key's MAC, so a streamed body is
    /// read once however many secrets sign it.
    public final class Signer {
        private let macs: [HMACSHA256Stream]

        public init(keys: Keys, id: String, timestamp: Int) {
            let prefix = Array("\(id).\(timestamp).".utf8)
            macs = keys.inHeaderOrder.map { key in
                let mac = HMACSHA256Stream(key: key)
                mac.update(prefix)
                return mac
            }
        }

        public convenience init(key: [UInt8], id: String, timestamp: Int) {
            self.init(keys: Keys(current: key), id: id, timestamp: timestamp)
        }

        public func update(_ bytes: UnsafeRawBufferPointer) {
            for mac in macs { mac.update(bytes) }
        }

        public func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        /// The `webhook-signature` header value.
        public func signature() -> String {
            WebhookSignature.header(macs.map { $0.finalize() })
        }
    }
}
