import ConduitCore

/// Which body hash a signature asks for: canonicalization, hash function
/// and `l=`. Signatures asking for the same one share it.
struct DKIMBodyKey: Hashable, Sendable {
    let canonicalization: DKIMCanonicalization
    let digest: MessageDigest
    let length: Int?

    /// The key of a signature whose `c=`, `a=` and `l=` are usable; `nil`
    /// otherwise (the signature fails on those tags before any body hash).
    init?(tags: DKIMTagList) {
        guard let algorithm = tags["a"].flatMap({ DKIMSignature.Algorithm(rawValue: $0.lowercased()) }),
              let canonicalizations = try? DKIMSignature.canonicalizations(tags["c"]) else { return nil }
        canonicalization = canonicalizations.1
        digest = algorithm.digest
        if let text = tags["l"] {
            guard let length = try? DKIMSignature.bodyLength(text) else { return nil }
            self.length = length
        } else {
            length = nil
        }
    }

    init(canonicalization: DKIMCanonicalization, digest: MessageDigest, length: Int?) {
        self.canonicalization = canonicalization
        self.digest = digest
        self.length = length
    }
}

/// The body hashes of one message, computed while it arrived: what
/// `DKIMVerifier.verify(headerBlock:bodyHashes:now:)` needs besides the
/// header block.
public struct DKIMBodyHashes: Sendable {
    /// No hashes: every signature that needs one is `permerror`.
    public init() {}

    var hashes: [DKIMBodyKey: [UInt8]] = [:]
    /// Length of the canonical body per canonicalization (for `l=` past the end).
    var canonicalLengths: [DKIMCanonicalization: Int] = [:]
}

/// Hashes a message body as it streams in (RFC 6376 §3.7 step 1), one
/// digest per distinct body hash the header block's DKIM-Signature fields
/// ask for (at most `DKIMVerifier.maxSignatures` of them), so the body is
/// never held whole. Give it the header block (every byte up to and
/// including the empty line that ends it), then every body byte in order,
/// in chunks of any size, then `finish()`.
///
/// Not `Sendable`: one connection feeds it; the result is.
public final class DKIMBodyHasher {
    private struct Digest {
        let key: DKIMBodyKey
        let context: DigestContext
        /// Canonical bytes still to hash (`l=`); `Int.max` without `l=`.
        var remaining: Int
    }

    private var canonicalizers: [DKIMCanonicalizer] = []
    private var digests: [Digest] = []
    private var scratch: [UInt8] = []

    private struct DKIMCanonicalizer {
        var stream: DKIMBodyCanonicalizer
        var length = 0
    }

    /// A hasher for the signatures in `headerBlock`; `isNeeded` is false
    /// when there are none (nothing to do with the body).
    ///
    /// `includingARC` also hashes for the ARC-Message-Signature fields
    /// (RFC 8617 §4.1.2: DKIM signatures by another name), newest instance
    /// first, up to `ARCVerifier.maxBodyHashes` distinct hashes, so one pass
    /// over the body serves DKIM and ARC (docs/ARC.md, "Streaming").
    public init(headerBlock: [UInt8], includingARC: Bool = false) {
        let message = DKIMMessage(headerBlock)
        var keys: [DKIMBodyKey] = []
        for field in message.fields.lazy.filter({ $0.name == "dkim-signature" }).prefix(DKIMVerifier.maxSignatures) {
            guard let tags = try? DKIMTagList(parsing: field.value), let key = DKIMBodyKey(tags: tags) else { continue }
            if !keys.contains(key) { keys.append(key) }
        }
        if includingARC {
            for key in ARCMessageSignature.bodyKeys(message) where !keys.contains(key) { keys.append(key) }
        }
        for key in keys {
            if !canonicalizers.contains(where: { $0.stream.canonicalization == key.canonicalization }) {
                canonicalizers.append(DKIMCanonicalizer(stream: DKIMBodyCanonicalizer(key.canonicalization)))
            }
            digests.append(Digest(key: key, context: DigestContext(key.digest), remaining: key.length ?? Int.max))
        }
    }

    /// Whether any signature needs a body hash.
    public var isNeeded: Bool { !digests.isEmpty }

    /// Adds the next body bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard isNeeded, !bytes.isEmpty else { return }
        for index in canonicalizers.indices {
            scratch.removeAll(keepingCapacity: true)
            canonicalizers[index].stream.update(bytes, into: &scratch)
            emit(index)
        }
    }

    /// The hashes, once the whole body went through `update`.
    public func finish() -> DKIMBodyHashes {
        var result = DKIMBodyHashes()
        for index in canonicalizers.indices {
            scratch.removeAll(keepingCapacity: true)
            canonicalizers[index].stream.finish(into: &scratch)
            emit(index)
            result.canonicalLengths[canonicalizers[index].stream.canonicalization] = canonicalizers[index].length
        }
        for digest in digests { result.hashes[digest.key] = digest.context.finish() }
        scratch = []
        return result
    }

    /// Hands the canonical bytes in `scratch` of canonicalizer `index` to its digests.
    private func emit(_ index: Int) {
        let canonicalization = canonicalizers[index].stream.canonicalization
        canonicalizers[index].length += scratch.count
        scratch.withUnsafeBytes { canonical in
            for d in digests.indices where digests[d].key.canonicalization == canonicalization && digests[d].remaining > 0 {
                let take = min(digests[d].remaining, canonical.count)
                digests[d].context.update(UnsafeRawBufferPointer(rebasing: canonical[0..<take]))
                digests[d].remaining -= take
            }
        }
    }
}

extension DKIMBodyHashes {
    /// The hashes of a body held whole (the one-shot path: `conduit dkim`, tests).
    init(headerBlock: [UInt8], body: ArraySlice<UInt8>, includingARC: Bool = false) {
        let hasher = DKIMBodyHasher(headerBlock: headerBlock, includingARC: includingARC)
        body.withUnsafeBytes { hasher.update($0) }
        self = hasher.finish()
    }
}
