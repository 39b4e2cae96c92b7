import ConduitCore

/// The hashing half of verification (RFC 6376 §3.7, §6.1.3) for one
/// message: the body hashes (computed as the body arrived, `DKIMBodyHasher`)
/// and the signed header data of each signature.
struct DKIMHashes {
    private let message: DKIMMessage
    /// Field positions by lower-case name, top to bottom.
    private let positions: [String: [Int]]
    private let bodyHashes: DKIMBodyHashes

    /// `message` is the header block (its body, if any, is ignored);
    /// `bodyHashes` were computed from the body as it arrived.
    init(message: DKIMMessage, bodyHashes: DKIMBodyHashes) {
        self.message = message
        self.bodyHashes = bodyHashes
        var positions: [String: [Int]] = [:]
        for (position, field) in message.fields.enumerated() { positions[field.name, default: []].append(position) }
        self.positions = positions
    }

    /// Checks the body hash, then the signature over the headers; throws
    /// `fail` on a mismatch.
    func check(_ signature: DKIMSignature, field: DKIMMessage.Field, key: DKIMKeyRecord) throws(DKIMFailure) {
        let bodyHash = try self.bodyHash(signature)
        guard bodyHash == signature.bodyHash else { throw .fail("body hash mismatch") }
        guard Self.verifies(signature, data: headerData(signature, field: field), key: key) else {
            throw .fail("signature does not verify")
        }
    }

    /// Whether `signature`'s `b=` signs `data` with `key` (also ARC-Seal's check).
    static func verifies(_ signature: DKIMSignature, data: [UInt8], key: DKIMKeyRecord) -> Bool {
        switch signature.algorithm {
        case .rsaSHA256: key.verifier.isValidSignature(signature.signature, of: data, scheme: .rsaPKCS1v15SHA256)
        case .rsaSHA1: key.verifier.isValidSignature(signature.signature, of: data, scheme: .rsaPKCS1v15SHA1)
        // RFC 8463 §3: Ed25519 signs the SHA-256 hash of the header data.
        case .ed25519SHA256: key.verifier.isValidSignature(signature.signature, of: MessageDigest.sha256.hash(data), scheme: .ed25519)
        }
    }

    /// The hash of the canonical body, cut to `l=` (§3.4.5); `l=` past the
    /// end of the body is an error (§3.5: it "MUST NOT be larger").
    private func bodyHash(_ signature: DKIMSignature) throws(DKIMFailure) -> [UInt8] {
        let key = DKIMBodyKey(canonicalization: signature.bodyCanonicalization, digest: signature.algorithm.digest, length: signature.bodyLength)
        guard let hash = bodyHashes.hashes[key] else {
            // Every signature among the first `maxSignatures` with usable c=, a=, l= is hashed.
            throw .permerror("body was not hashed for this signature")
        }
        let canonicalLength = bodyHashes.canonicalLengths[key.canonicalization] ?? 0
        if let length = key.length, length > canonicalLength {
            throw .permerror("l=\(length) is longer than the body (\(canonicalLength) bytes)")
        }
        return hash
    }

    /// What the signature covers (§3.7): the fields named by `h=`, each
    /// taken bottom-up (a name listed more often than it occurs adds
    /// nothing), then this DKIM-Signature field without its `b=` value and
    /// final CRLF.
    ///
    /// As in dkimpy, a signed From is followed by one more From: a From
    /// field beyond those `h=` covers makes the signature fail (RFC 6376
    /// §8.15 leaves this to verifiers).
    func headerData(_ signature: DKIMSignature, field: DKIMMessage.Field) -> [UInt8] {
        let canonicalization = signature.headerCanonicalization
        var used: [String: Int] = [:]
        var data: [UInt8] = []
        let names = signature.signedHeaders + (signature.signedHeaders.contains("from") ? ["from"] : [])
        for name in names {
            guard let found = positions[name] else { continue }
            let taken = used[name, default: 0]
            guard taken < found.count else { continue }
            used[name] = taken + 1
            let selected = message.fields[found[found.count - 1 - taken]]
            data.append(contentsOf: canonicalization.header(selected.raw, colon: selected.colon))
        }
        data.append(contentsOf: Self.signatureField(field, of: signature, in: message))
        return data
    }

    /// The signature's own field as it is hashed last (§3.7): canonical,
    /// without the `b=` value and without the final CRLF. Also ARC-Seal's.
    static func signatureField(_ field: DKIMMessage.Field, of signature: DKIMSignature, in message: DKIMMessage) -> [UInt8] {
        let bytes = message.bytes
        let cut = signature.signatureValueRange
        let own = Array(bytes[field.raw.startIndex..<cut.lowerBound]) + Array(bytes[cut.upperBound..<field.raw.endIndex])
        var canonicalOwn = signature.headerCanonicalization.header(own[...], colon: field.colon - field.raw.startIndex)
        if canonicalOwn.suffix(2).elementsEqual(DKIMASCII.crlf) { canonicalOwn.removeLast(2) }
        return canonicalOwn
    }
}
