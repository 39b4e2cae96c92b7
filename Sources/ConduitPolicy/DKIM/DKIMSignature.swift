import ConduitCore

/// A DKIM-Signature field whose tags passed the checks of RFC 6376 §6.1.1:
/// everything needed to fetch the key and check the hashes.
struct DKIMSignature {
    /// A signing algorithm (`a=`, RFC 6376 §3.3, RFC 8463).
    enum Algorithm: String {
        case rsaSHA256 = "rsa-sha256"
        /// Still verified, and reported by name, so policy can refuse it (RFC 8301).
        case rsaSHA1 = "rsa-sha1"
        case ed25519SHA256 = "ed25519-sha256"

        var keyType: SignatureVerifier.KeyType {
            self == .ed25519SHA256 ? .ed25519 : .rsa
        }

        var digest: MessageDigest {
            self == .rsaSHA1 ? .sha1 : .sha256
        }

        /// The hash's name in a key record's `h=` list.
        var hashName: String {
            self == .rsaSHA1 ? "sha1" : "sha256"
        }
    }

    /// How far a signer's clock may run ahead (`t=` in the future) or a
    /// signature be past its `x=`: dkimpy's ten hours.
    static let allowedClockSkew: Int64 = 36_000

    let domain: String
    let selector: String
    let algorithm: Algorithm
    let signature: [UInt8]
    let bodyHash: [UInt8]
    let headerCanonicalization: DKIMCanonicalization
    let bodyCanonicalization: DKIMCanonicalization
    /// `h=`, lower case, in order.
    let signedHeaders: [String]
    /// The domain part of `i=` (or `d=`), lower case.
    let identityDomain: String
    /// `l=`: how many bytes of the canonical body are signed.
    let bodyLength: Int?
    /// The `b=` value's bytes in the field, FWS before it included (§3.7).
    let signatureValueRange: Range<Int>

    /// The key record's DNS name (§3.6.2.1).
    var keyName: String { "\(selector)._domainkey.\(domain)" }

    /// Which field the tags come from. ARC's two signatures are DKIM
    /// signatures with other rules for a few tags (RFC 8617 §4.1.2, §4.1.3).
    enum Kind {
        case dkim
        /// No `v=`; `i=` is the instance number, not an identity.
        case arcMessageSignature
        /// Also no `bh=`, `h=` or `l=`; relaxed header canonicalization
        /// whatever `c=` says (§5.1.1); `cv=` is read by the chain.
        case arcSeal
    }

    /// Checks `tags` (the field's value, parsed) at time `now` (Unix seconds).
    init(tags: DKIMTagList, now: Int64, kind: Kind = .dkim) throws(DKIMFailure) {
        let required: [String]
        switch kind {
        case .dkim:
            guard let version = tags["v"] else { throw .permerror("v= is missing") }
            guard version == "1" else { throw .permerror("unsupported version v=\(version)") }
            required = ["a", "b", "bh", "d", "h", "s"]
        case .arcMessageSignature:
            required = ["i", "a", "b", "bh", "d", "h", "s"]
        case .arcSeal:
            required = ["i", "cv", "a", "b", "d", "s"]
        }
        for name in required where tags[name] == nil {
            throw .permerror("\(name)= is missing")
        }
        let algorithmName = tags["a"]!.lowercased()
        guard let algorithm = Algorithm(rawValue: algorithmName) else {
            throw .permerror("unsupported algorithm a=\(algorithmName)")
        }
        // RFC 8617 postdates RFC 8301: ARC has no SHA-1 signatures to keep verifying.
        if kind != .dkim, algorithm == .rsaSHA1 { throw .permerror("rsa-sha1 is not allowed in ARC (RFC 8301)") }
        self.algorithm = algorithm
        let b = tags.tag("b")!
        guard let signature = DKIMTagList.base64Decoded(b.value), !signature.isEmpty else {
            throw .neutral("b= is not base64")
        }
        self.signature = signature
        signatureValueRange = b.valueRange
        domain = tags["d"]!
        selector = tags["s"]!
        guard !domain.isEmpty, !domain.contains(where: { "()<>[]:;@\\, \t\r\n".contains($0) }) else {
            throw .permerror("invalid domain d=\(domain)")
        }
        guard !selector.isEmpty else { throw .permerror("s= is empty") }

        if kind == .arcSeal {
            // §4.1.3: the seal covers the ARC sets, never the body or other fields.
            for absent in ["h", "bh", "l"] where tags[absent] != nil {
                throw .permerror("\(absent)= is not allowed in an ARC-Seal")
            }
            bodyHash = []
            (headerCanonicalization, bodyCanonicalization) = (.relaxed, .relaxed)
            signedHeaders = []
            bodyLength = nil
        } else {
            guard let bodyHash = DKIMTagList.base64Decoded(tags["bh"]!), !bodyHash.isEmpty else {
                throw .neutral("bh= is not base64")
            }
            self.bodyHash = bodyHash
            (headerCanonicalization, bodyCanonicalization) = try Self.canonicalizations(tags["c"])
            signedHeaders = DKIMTagList.colonList(tags["h"]!)
            guard signedHeaders.contains("from") else { throw .permerror("From is not signed (h=)") }
            // §4.1.2: a message signature must not cover the seals that later sign it.
            if kind == .arcMessageSignature, signedHeaders.contains("arc-seal") {
                throw .permerror("h= includes ARC-Seal")
            }
            bodyLength = try tags["l"].map { text throws(DKIMFailure) in try Self.bodyLength(text) }
        }
        // In ARC, i= is the instance (checked by the chain); the signer is d=.
        identityDomain = kind == .dkim ? try Self.identityDomain(tags["i"], domain: domain) : domain.lowercased()

        if let query = tags["q"], !DKIMTagList.colonList(query).contains("dns/txt") {
            throw .permerror("unsupported query method q=\(query)")
        }
        try Self.checkTimes(timestamp: tags["t"], expiration: tags["x"], now: now)
    }

    /// `c=`: `header/body`, body `simple` when omitted, `simple/simple` when absent.
    static func canonicalizations(_ value: String?) throws(DKIMFailure) -> (DKIMCanonicalization, DKIMCanonicalization) {
        guard let value else { return (.simple, .simple) }
        let parts = value.lowercased().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2,
              let header = DKIMCanonicalization(rawValue: String(parts[0])),
              let body = parts.count == 2 ? DKIMCanonicalization(rawValue: String(parts[1])) : .simple else {
            throw .permerror("unsupported canonicalization c=\(value)")
        }
        return (header, body)
    }

    /// `l=`: digits; a value longer than any message is `Int.max` (§3.5
    /// forbids `l=` past the body, checked against the body later).
    static func bodyLength(_ text: String) throws(DKIMFailure) -> Int {
        guard text.utf8.count <= 76, isDigits(text) else { throw .permerror("l= is not a number") }
        return Int(text) ?? Int.max
    }

    /// `i=`'s domain, which must be `d=` or below it (§3.5).
    private static func identityDomain(_ identity: String?, domain: String) throws(DKIMFailure) -> String {
        let domain = domain.lowercased()
        guard let identity else { return domain }
        guard let at = identity.lastIndex(of: "@") else { throw .permerror("i= has no '@'") }
        let identityDomain = identity[identity.index(after: at)...].lowercased()
        guard identityDomain == domain || identityDomain.hasSuffix("." + domain) else {
            throw .permerror("i= domain \(identityDomain) is not within d=\(domain)")
        }
        return identityDomain
    }

    /// `t=` and `x=`: numbers, `x` not before `t`, `t` not in the future and
    /// `x` not past (each with `allowedClockSkew`, as dkimpy).
    private static func checkTimes(timestamp: String?, expiration: String?, now: Int64) throws(DKIMFailure) {
        let signed = try timestamp.map { text throws(DKIMFailure) in try number(text, tag: "t") }
        let expires = try expiration.map { text throws(DKIMFailure) in try number(text, tag: "x") }
        if let signed, signed > now &+ allowedClockSkew {
            throw .permerror("signature timestamp t=\(signed) is in the future")
        }
        if let expires {
            if let signed, expires < signed { throw .permerror("x= is before t=") }
            if expires < now &- allowedClockSkew { throw .permerror("signature expired at x=\(expires)") }
        }
    }

    /// One or more ASCII digits.
    private static func isDigits(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    private static func number(_ text: String, tag: String) throws(DKIMFailure) -> Int64 {
        guard isDigits(text) else { throw .permerror("\(tag)= is not a number") }
        // At most 12 digits are meaningful (§3.5); larger values are far future.
        return Int64(text) ?? Int64.max
    }
}
