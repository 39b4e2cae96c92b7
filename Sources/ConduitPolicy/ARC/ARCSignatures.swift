/// The ARC-Message-Signature fields of a message (RFC 8617 §4.1.2): DKIM
/// signatures without `v=`, whose `i=` is the instance. Their body hashes
/// come out of the same `DKIMBodyHasher` pass as DKIM's.
enum ARCMessageSignature {
    /// The body hashes the message signatures ask for, newest instance first
    /// (the newest decides pass or fail; older ones only `oldest-pass`), at
    /// most `ARCVerifier.maxBodyHashes` distinct ones. A message signature
    /// whose hash is not among them fails with "body was not hashed".
    static func bodyKeys(_ message: DKIMMessage) -> [DKIMBodyKey] {
        let signatures = message.fields.compactMap { field -> (instance: Int, tags: DKIMTagList)? in
            guard field.name == ARCHeaderField.Kind.messageSignature.rawValue,
                  let tags = try? DKIMTagList(parsing: field.value),
                  let instance = tags["i"].flatMap({ try? ARCHeaderField.instance($0, kind: .messageSignature) })
            else { return nil }
            return (instance, tags)
        }
        var keys: [DKIMBodyKey] = []
        for signature in signatures.sorted(by: { $0.instance > $1.instance }) {
            guard let key = DKIMBodyKey(tags: signature.tags), !keys.contains(key) else { continue }
            guard keys.count < ARCVerifier.maxBodyHashes else { break }
            keys.append(key)
        }
        return keys
    }
}

/// What an ARC-Seal signs (§5.1.1): the ARC sets 1…i, oldest first, each
/// as ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal, every
/// field in relaxed header canonicalization; the seal being checked comes
/// last, without its `b=` value and without the final CRLF.
///
/// Fields are chosen by their `i=`, not by where they stand in the header:
/// the chain's structure already holds exactly one of each per instance.
enum ARCSealData {
    static func data(sets: ArraySlice<ARCSet>, seal: DKIMSignature, in message: DKIMMessage) -> [UInt8] {
        var data: [UInt8] = []
        for set in sets {
            for arc in set.sealedFields {
                if arc.kind == .seal, set.instance == sets.last?.instance {
                    data.append(contentsOf: DKIMHashes.signatureField(arc.field, of: seal, in: message))
                } else {
                    data.append(contentsOf: DKIMCanonicalization.relaxed.header(arc.field.raw, colon: arc.field.colon))
                }
            }
        }
        return data
    }
}
