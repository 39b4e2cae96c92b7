public import ConduitDNS
public import Foundation
public import Logging

/// Validates the Authenticated Received Chain of a message (RFC 8617
/// §5.2) with DKIM's parts: ARC-Message-Signatures are checked as DKIM
/// signatures (`DKIMHashes`), keys are fetched and read as DKIM keys.
/// A pure function of the message bytes, the clock and the DNS answers.
public struct ARCVerifier: Sendable {
    /// §4.2.1: instance numbers run from 1 to 50.
    public static let maxInstances = 50
    /// Distinct body hashes computed for ARC-Message-Signatures (newest
    /// instance first), on top of DKIM's: a chain cannot make the body pass
    /// through an unbounded number of digests.
    static let maxBodyHashes = 4

    private let resolver: any DNSResolving
    private let logger: Logger

    /// A verifier that fetches keys through `resolver`.
    public init(resolver: any DNSResolving, logger: Logger) {
        self.resolver = resolver
        self.logger = logger
    }

    /// The chain's verdict. `message` is the message as received (CRLF line
    /// ends; bare LF is read as CRLF); `now` decides `t=` and `x=`.
    ///
    /// The one-shot form (`conduit arc`, tests): the body goes through the
    /// same `DKIMBodyHasher` the SMTP ingress can feed as DATA arrives.
    public func verify(message: [UInt8], now: Date = Date()) async -> ARCVerdict {
        let headerLength = DKIMMessage.headerBlockLength(message)
        let headerBlock = Array(message[..<headerLength])
        let hashes = DKIMBodyHashes(headerBlock: headerBlock, body: message[headerLength...], includingARC: true)
        return await verify(headerBlock: headerBlock, bodyHashes: hashes, now: now)
    }

    /// The verdict from the header block (every byte up to and including
    /// the empty line that ends it) and the body hashes a
    /// `DKIMBodyHasher(headerBlock:includingARC: true)` computed while the
    /// body streamed past. `headerBlockComplete` false (the ingress kept
    /// only part of a long header section) fails a chain without DNS.
    public func verify(
        headerBlock: [UInt8], bodyHashes: DKIMBodyHashes, headerBlockComplete: Bool = true, now: Date = Date()
    ) async -> ARCVerdict {
        let message = DKIMMessage(headerBlock)
        let verdict = await verdict(message, bodyHashes: bodyHashes, headerBlockComplete: headerBlockComplete, now: now)
        logger.debug("ARC chain checked", metadata: [
            "result": "\(verdict.result.rawValue)", "instances": "\(verdict.instances)",
            "oldest_pass": "\(verdict.oldestPass.map(String.init) ?? "")", "reason": "\(verdict.reason ?? "")",
        ])
        return verdict
    }

    private func verdict(
        _ message: DKIMMessage, bodyHashes: DKIMBodyHashes, headerBlockComplete: Bool, now: Date
    ) async -> ARCVerdict {
        // Steps 1–3, before any DNS.
        let chain: ARCChain
        do throws(ARCChain.Broken) {
            guard let read = try ARCChain(message) else { return .none }
            chain = read
        } catch {
            return .fail(error.reason, instances: error.instances)
        }
        let count = chain.count
        if !headerBlockComplete {
            return .fail("header section longer than the \(message.bytes.count) bytes kept", instances: count)
        }
        if let malformation = message.malformation {
            return .fail("malformed header block: \(malformation)", instances: count)
        }
        let seconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let seals: [DKIMSignature]
        do throws(DKIMFailure) {
            seals = try chain.sets.map { set throws(DKIMFailure) in
                do throws(DKIMFailure) {
                    return try DKIMSignature(tags: set.seal.tags!, now: seconds, kind: .arcSeal)
                } catch {
                    throw DKIMFailure(result: error.result, reason: "ARC-Seal i=\(set.instance): \(error.reason)")
                }
            }
        } catch {
            return .fail(error.reason, instances: count)
        }
        let newest = chain.sets[count - 1]
        let newestSignature = Result { () throws(DKIMFailure) in try Self.messageSignature(newest, now: seconds) }
        let names = seals.map(\.keyName) + ((try? newestSignature.get()).map { [$0.keyName] } ?? [])
        var keys = await DKIMVerifier.lookUpKeys(Set(names.map { $0.lowercased() }), with: resolver)
        let hashes = DKIMHashes(message: message, bodyHashes: bodyHashes)

        // Step 4: the newest message signature.
        do throws(DKIMFailure) {
            let signature = try newestSignature.get()
            try hashes.check(signature, field: newest.messageSignature.field, key: try Self.key(signature, keys))
        } catch {
            return .fail("ARC-Message-Signature i=\(count): \(error.reason)", instances: count, temporary: error.result == .temperror)
        }
        // Step 8 (before 5–7, which only matter on a passing chain): every seal, newest first.
        for set in chain.sets.reversed() {
            let seal = seals[set.instance - 1]
            do throws(DKIMFailure) {
                let key = try Self.key(seal, keys)
                let data = ARCSealData.data(sets: chain.sets[..<set.instance], seal: seal, in: message)
                guard DKIMHashes.verifies(seal, data: data, key: key) else { throw .fail("signature does not verify") }
            } catch {
                return .fail("ARC-Seal i=\(set.instance): \(error.reason)", instances: count, temporary: error.result == .temperror)
            }
        }
        // Steps 5–7: older message signatures, newest first, until one fails.
        // Their keys not fetched yet are fetched at once: a long chain of slow
        // key names costs one lookup round, not one per instance.
        let older = chain.sets.dropLast().compactMap { try? Self.messageSignature($0, now: seconds).keyName.lowercased() }
        let missing = Set(older.filter { keys[$0] == nil })
        if !missing.isEmpty {
            keys.merge(await DKIMVerifier.lookUpKeys(missing, with: resolver)) { old, _ in old }
        }
        var oldestPass = 0
        for set in chain.sets.dropLast().reversed() {
            let valid: Bool
            do throws(DKIMFailure) {
                let signature = try Self.messageSignature(set, now: seconds)
                try hashes.check(signature, field: set.messageSignature.field, key: try Self.key(signature, keys))
                valid = true
            } catch {
                logger.debug("older ARC-Message-Signature does not validate", metadata: [
                    "instance": "\(set.instance)", "reason": "\(error.reason)",
                ])
                valid = false
            }
            if !valid {
                oldestPass = set.instance + 1
                break
            }
        }
        return ARCVerdict(result: .pass, instances: count, oldestPass: oldestPass, sealers: seals.map(\.domain))
    }

    /// The ARC-Message-Signature of `set`, its tags checked.
    private static func messageSignature(_ set: ARCSet, now: Int64) throws(DKIMFailure) -> DKIMSignature {
        try DKIMSignature(tags: set.messageSignature.tags!, now: now, kind: .arcMessageSignature)
    }

    private static func key(_ signature: DKIMSignature, _ keys: [String: DNSLookupResult]) throws(DKIMFailure) -> DKIMKeyRecord {
        try DKIMVerifier.key(for: signature, from: keys[signature.keyName.lowercased()])
    }
}
