public import ConduitDNS
public import Foundation
public import Logging

/// Verifies the DKIM signatures of a message (RFC 6376, with Ed25519 per
/// RFC 8463 and the RSA rules of RFC 8301). A pure function of the message
/// bytes, the clock and the DNS answers: no policy is applied, each
/// signature simply gets its verdict.
public struct DKIMVerifier: Sendable {
    /// Signatures checked per message; those further down get `policy`
    /// without a DNS query, so a message cannot make the verifier do
    /// unbounded lookups and hashing.
    public static let maxSignatures = 10

    private let resolver: any DNSResolving
    private let logger: Logger

    /// A verifier that fetches keys through `resolver`.
    public init(resolver: any DNSResolving, logger: Logger) {
        self.resolver = resolver
        self.logger = logger
    }

    /// One verdict per DKIM-Signature field, in header order (top first);
    /// empty when the message is not signed. `message` is the message as
    /// received (CRLF line ends; bare LF is read as CRLF). `now` decides
    /// `t=` and `x=`. A DNS failure is `temperror`, never `fail`.
    ///
    /// The one-shot form (`conduit dkim`, tests): the body goes through the
    /// same streaming hasher the SMTP ingress feeds as DATA arrives.
    public func verify(message: [UInt8], now: Date = Date()) async -> [DKIMVerdict] {
        let headerLength = DKIMMessage.headerBlockLength(message)
        let headerBlock = Array(message[..<headerLength])
        let hasher = DKIMBodyHasher(headerBlock: headerBlock)
        message[headerLength...].withUnsafeBytes { hasher.update($0) }
        return await verify(headerBlock: headerBlock, bodyHashes: hasher.finish(), now: now)
    }

    /// The verdicts from the header block (every byte up to and including
    /// the empty line that ends it, as given to `DKIMBodyHasher`) and the
    /// body hashes that hasher computed while the body streamed past.
    ///
    /// `headerBlockComplete` false says the header section was longer than
    /// what was kept (the SMTP ingress keeps 256 KiB): every signature is
    /// then `permerror`, with no DNS query.
    public func verify(
        headerBlock: [UInt8], bodyHashes: DKIMBodyHashes, headerBlockComplete: Bool = true, now: Date = Date()
    ) async -> [DKIMVerdict] {
        let parsed = DKIMMessage(headerBlock)
        let fields = parsed.fields.filter { $0.name == "dkim-signature" }
        guard !fields.isEmpty else { return [] }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let malformed = headerBlockComplete
            ? parsed.malformation.map { DKIMFailure.permerror("malformed header block: \($0)") }
            : DKIMFailure.permerror("header section longer than the \(headerBlock.count) bytes kept")
        let tooMany = DKIMFailure(result: .policy, reason: "more than \(Self.maxSignatures) signatures; not checked")
        let candidates = fields.enumerated().map { position, field in
            DKIMCandidate(field: field, refusal: position < Self.maxSignatures ? malformed : tooMany, now: seconds)
        }
        let keys = await Self.lookUpKeys(Set(candidates.compactMap { try? $0.signature.get().keyName.lowercased() }), with: resolver)
        let hashes = DKIMHashes(message: parsed, bodyHashes: bodyHashes)
        var verdicts: [DKIMVerdict] = []
        for candidate in candidates {
            let outcome: DKIMFailure?
            do throws(DKIMFailure) {
                let signature = try candidate.signature.get()
                let key = try Self.key(for: signature, from: keys[signature.keyName.lowercased()])
                try hashes.check(signature, field: candidate.field, key: key)
                outcome = nil
            } catch {
                outcome = error
            }
            let verdict = DKIMVerdict(
                result: outcome?.result ?? .pass, domain: candidate.domain, selector: candidate.selector,
                algorithm: candidate.algorithm, reason: outcome?.reason
            )
            logger.debug("DKIM signature checked", metadata: [
                "result": "\(verdict.result.rawValue)", "d": "\(verdict.domain)", "s": "\(verdict.selector)",
                "a": "\(verdict.algorithm)", "reason": "\(verdict.reason ?? "")",
            ])
            verdicts.append(verdict)
        }
        return verdicts
    }

    /// Looks up every key record at once; the resolver shares identical
    /// queries. Also ARC's (`ARCVerifier`).
    static func lookUpKeys(_ names: Set<String>, with resolver: any DNSResolving) async -> [String: DNSLookupResult] {
        await withTaskGroup(of: (String, DNSLookupResult).self) { group in
            for name in names {
                group.addTask { [resolver] in (name, await resolver.lookup(name, type: .txt)) }
            }
            var results: [String: DNSLookupResult] = [:]
            for await (name, result) in group { results[name] = result }
            return results
        }
    }

    /// The key for `signature` out of its lookup (RFC 6376 §6.1.2); ARC's
    /// signatures use it too.
    static func key(for signature: DKIMSignature, from lookup: DNSLookupResult?) throws(DKIMFailure) -> DKIMKeyRecord {
        switch lookup {
        case let .temporaryFailure(reason):
            throw .temperror("key lookup at \(signature.keyName) failed: \(reason)")
        case .nxdomain, .nodata, nil:
            throw .permerror("no key record at \(signature.keyName)")
        case let .records(records):
            // §3.6.2.2: the strings of one TXT record are concatenated. With
            // several records the outcome is undefined; the first is used, as dkimpy does.
            let texts = records.compactMap { record -> [UInt8]? in
                guard case let .txt(strings) = record.data else { return nil }
                return Array(strings.joined())
            }
            guard let text = texts.first else { throw .permerror("no key record at \(signature.keyName)") }
            return try DKIMKeyRecord(text: text, for: signature)
        }
    }
}

/// One DKIM-Signature field and what its tags say, before any DNS.
private struct DKIMCandidate {
    let field: DKIMMessage.Field
    let signature: Result<DKIMSignature, DKIMFailure>
    let domain: String
    let selector: String
    let algorithm: String

    /// `refusal`, when set, is the verdict whatever the tags say.
    init(field: DKIMMessage.Field, refusal: DKIMFailure?, now: Int64) {
        self.field = field
        let tags: DKIMTagList
        do {
            tags = try DKIMTagList(parsing: field.value)
        } catch {
            signature = .failure(.neutral("signature is not a tag list: \(error.reason)"))
            (domain, selector, algorithm) = ("", "", "")
            return
        }
        domain = tags["d"] ?? ""
        selector = tags["s"] ?? ""
        algorithm = tags["a"]?.lowercased() ?? ""
        if let refusal {
            signature = .failure(refusal)
        } else {
            signature = Result { () throws(DKIMFailure) in try DKIMSignature(tags: tags, now: now) }
        }
    }
}
