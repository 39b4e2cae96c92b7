import ConduitCore
import ConduitDNS
@testable import ConduitPolicy
import Foundation
import Logging

/// Builds ARC chains the way RFC 8617 §5.1 says, signing with the
/// `openssl` tool (DKIMTestKey): its own record of the sets, by instance,
/// so the verifier's parsing and field selection are not checked against
/// themselves. The hashes use the module's canonicalization, as the DKIM
/// test signer does; scripts/arc-oracle.py checks against dkimpy's.
struct ARCTestChain {
    /// The message without any ARC field (CRLF).
    private(set) var message: String
    /// Each set's three fields (`Name: value\r\n`), instance 1 first.
    private(set) var sets: [(results: String, signature: String, seal: String)] = []

    init(_ message: String = dkimSampleMessage) {
        self.message = message
    }

    /// The message as a receiver sees it: newest set on top.
    var text: String {
        sets.reversed().map { $0.seal + $0.signature + $0.results }.joined() + message
    }

    var bytes: [UInt8] { Array(text.utf8) }

    /// Adds the next set, signed with `key` as `selector._domainkey.domain`.
    /// `cv` defaults to what a sealer of an intact chain writes;
    /// `messageSelector` signs the ARC-Message-Signature under another selector.
    mutating func seal(
        key: DKIMTestKey, domain: String, selector: String = "arc", messageSelector: String? = nil, cv: String? = nil,
        headers: String = "from:to:subject"
    ) throws {
        let instance = sets.count + 1
        let algorithm = key.isEd25519 ? "ed25519-sha256" : "rsa-sha256"
        let results = "ARC-Authentication-Results: i=\(instance); mx.\(domain); spf=pass smtp.mailfrom=example.com\r\n"

        let current = DKIMMessage(bytes)
        let bodyHash = Data(MessageDigest.sha256.hash(DKIMCanonicalization.relaxed.body(current.body))).base64EncodedString()
        let amsValue = " i=\(instance); a=\(algorithm); c=relaxed/relaxed; d=\(domain); s=\(messageSelector ?? selector);\r\n h=\(headers); bh=\(bodyHash);\r\n b="
        var amsData: [UInt8] = []
        var used: [String: Int] = [:]
        for name in headers.split(separator: ":").map(String.init) {
            let matching = current.fields.filter { $0.name == name }
            let taken = used[name, default: 0]
            used[name] = taken + 1
            guard taken < matching.count else { continue }
            let field = matching[matching.count - 1 - taken]
            amsData += DKIMCanonicalization.relaxed.header(field.raw, colon: field.colon)
        }
        amsData += Self.relaxedWithoutCRLF("ARC-Message-Signature:\(amsValue)")
        let signature = "ARC-Message-Signature:\(amsValue)\(try Self.sign(amsData, key))\r\n"

        let asValue = " i=\(instance); cv=\(cv ?? (instance == 1 ? "none" : "pass")); a=\(algorithm); d=\(domain);\r\n s=\(selector); t=1700000000; b="
        var asData: [UInt8] = []
        for set in sets + [(results, signature, "")] {
            for field in [set.0, set.1, set.2] where !field.isEmpty {
                asData += Self.relaxed(field)
            }
        }
        asData += Self.relaxedWithoutCRLF("ARC-Seal:\(asValue)")
        let seal = "ARC-Seal:\(asValue)\(try Self.sign(asData, key))\r\n"
        sets.append((results, signature, seal))
    }

    /// Replaces the message below the ARC fields (a hop editing it, or damage in transit).
    mutating func editMessage(_ edit: (String) -> String) {
        message = edit(message)
    }

    /// Replaces one field of set `instance` (1-based).
    mutating func editSet(_ instance: Int, _ edit: (inout (results: String, signature: String, seal: String)) -> Void) {
        edit(&sets[instance - 1])
    }

    private static func relaxed(_ field: String) -> [UInt8] {
        let bytes = Array(field.utf8)
        return DKIMCanonicalization.relaxed.header(bytes[...], colon: bytes.firstIndex(of: 0x3A)!)
    }

    private static func relaxedWithoutCRLF(_ field: String) -> [UInt8] {
        Array(relaxed(field).dropLast(2))
    }

    private static func sign(_ data: [UInt8], _ key: DKIMTestKey) throws -> String {
        let input = key.isEd25519 ? MessageDigest.sha256.hash(data) : data
        return Data(try key.sign(input)).base64EncodedString()
    }
}

/// Keys reused across ARC tests (made once per machine, as DKIM's are).
enum ARCTestKeys {
    static func rsa() throws -> DKIMTestKey { try DKIMTestKey.reused(.rsa(bits: 2048), name: "arc-rsa2048") }
    static func ed25519() throws -> DKIMTestKey { try DKIMTestKey.reused(.ed25519, name: "arc-ed25519") }
}

/// The ARC verifier over a fake resolver.
func arcVerify(_ bytes: [UInt8], _ resolver: DKIMFakeResolver, now: Date = Date()) async -> ARCVerdict {
    await ARCVerifier(resolver: resolver, logger: Logger(label: "arc-test")).verify(message: bytes, now: now)
}
