import ConduitCore

/// A DKIM key record (RFC 6376 §3.6.1), checked against the signature
/// that asked for it.
struct DKIMKeyRecord {
    /// The public key, ready to check signatures.
    let verifier: SignatureVerifier

    /// RSA keys shorter than this are not accepted (RFC 8301 §3.2; dkimpy's `minkey`).
    static let minimumRSABits = 1024

    /// Parses the TXT record `text` (its strings concatenated, §3.6.2.2) and
    /// checks it fits `signature`.
    init(text: [UInt8], for signature: DKIMSignature) throws(DKIMFailure) {
        let tags: DKIMTagList
        do {
            tags = try DKIMTagList(parsing: text[...])
        } catch {
            throw .permerror("key record: \(error.reason)")
        }
        if let version = tags["v"], version != "DKIM1" {
            throw .permerror("key record: unsupported version v=\(version)")
        }
        if let hashes = tags["h"], !DKIMTagList.colonList(hashes).contains(signature.algorithm.hashName) {
            throw .permerror("key does not allow \(signature.algorithm.hashName) (h=\(hashes))")
        }
        // §6.1.2 steps 6-8: hash, then revocation, then key type.
        guard let publicKey = tags["p"] else { throw .permerror("key record has no p=") }
        guard let keyBytes = DKIMTagList.base64Decoded(publicKey) else {
            throw .permerror("key record: p= is not base64")
        }
        // §3.6.1: "An empty value means that this public key has been revoked."
        guard !keyBytes.isEmpty else { throw .fail("key revoked") }
        let keyType = (tags["k"] ?? "rsa").lowercased()
        let expected = signature.algorithm.keyType
        switch keyType {
        case "rsa" where expected == .rsa, "ed25519" where expected == .ed25519:
            break
        case "rsa", "ed25519":
            throw .permerror("key type k=\(keyType) does not fit a=\(signature.algorithm.rawValue)")
        default:
            throw .permerror("key record: unsupported key type k=\(keyType)")
        }
        if let services = tags["s"] {
            let list = DKIMTagList.colonList(services)
            guard list.contains("*") || list.contains("email") else {
                throw .permerror("key is not for email (s=\(services))")
            }
        }
        if let flags = tags["t"], DKIMTagList.colonList(flags).contains("s"),
           signature.identityDomain != signature.domain.lowercased() {
            throw .permerror("key requires i= in exactly d= (t=s)")
        }
        do {
            verifier = switch expected {
            case .rsa: try SignatureVerifier(rsaPublicKeyDER: keyBytes)
            case .ed25519: try SignatureVerifier(ed25519PublicKey: keyBytes)
            }
        } catch {
            throw .permerror("key record: unusable key (\(error.reason))")
        }
        if verifier.keyType == .rsa, verifier.bits < Self.minimumRSABits {
            throw .permerror("RSA key of \(verifier.bits) bits is too short")
        }
    }
}
