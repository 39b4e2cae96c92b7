import ConduitCore
import ConduitPolicy
import ConduitSMTP
import Foundation
import NIOCore

/// What end of DATA learns about who sent a message: DKIM for every
/// signature, and — unless `[smtp] dmarc = false` — the ARC chain and DMARC.
/// Every lookup goes through the backend's resolver (its timeouts and TTL
/// cache), in the end-of-DATA task, never on the event loop.
struct MessageAuthentication: Sendable {
    var dkim: [DKIMVerdict]
    /// `nil` when not evaluated.
    var dmarc: DMARCVerdict?
    var arc: ARCVerdict?

    /// DKIM first (DMARC needs its verdicts), ARC beside DKIM and DMARC: a
    /// message waits for the slower of the two lookup chains, not their sum.
    static func evaluate(_ message: SMTPMessage, spf: SPFVerdict, backend: IngressBackend, now: Date) async -> MessageAuthentication {
        let observed = message.observation as? DKIMObservation
        guard backend.settings.evaluateDMARC else {
            return MessageAuthentication(dkim: await dkimVerdicts(message, observed: observed, backend: backend, now: now))
        }
        async let arc = arcVerdict(message, observed: observed, backend: backend, now: now)
        let dkim = await dkimVerdicts(message, observed: observed, backend: backend, now: now)
        let content = message.content
        let dmarc: DMARCVerdict
        if content.headerBlockComplete {
            dmarc = await backend.dmarc.evaluate(headerBlock: Array(content.headerBlock), spf: spf, dkim: dkim)
        } else {
            // A From: field past the kept bytes cannot be ruled out, so
            // the author domain is not known for sure (as DKIM's permerror).
            dmarc = DMARCVerdict(result: .permerror, authorDomain: "", reason: "header section longer than the bytes kept")
        }
        return MessageAuthentication(dkim: dkim, dmarc: dmarc, arc: await arc)
    }

    /// Every DKIM verdict: from the header block and the body hashes the
    /// `DKIMStreamObserver` computed while DATA arrived, so the body is not
    /// read again. A message that reached us whole, unobserved (tests), is
    /// hashed here from memory.
    private static func dkimVerdicts(
        _ message: SMTPMessage, observed: DKIMObservation?, backend: IngressBackend, now: Date
    ) async -> [DKIMVerdict] {
        let content = message.content
        guard HeaderSection.value(named: "DKIM-Signature", in: content.headerBlock) != nil else { return [] }
        let headerBlock = Array(content.headerBlock)
        if let observed {
            return await backend.dkim.verify(
                headerBlock: headerBlock, bodyHashes: observed.bodyHashes ?? DKIMBodyHashes(),
                headerBlockComplete: content.headerBlockComplete, now: now
            )
        }
        guard !content.isSpilled, let whole = try? content.bytes() else {
            return await backend.dkim.verify(headerBlock: headerBlock, bodyHashes: DKIMBodyHashes(), headerBlockComplete: false, now: now)
        }
        return await backend.dkim.verify(message: whole, now: now)
    }

    /// The ARC chain's verdict, from the same stream pass as DKIM (the
    /// observer hashed for the ARC-Message-Signatures too). No ARC field:
    /// `none` without parsing the header.
    private static func arcVerdict(
        _ message: SMTPMessage, observed: DKIMObservation?, backend: IngressBackend, now: Date
    ) async -> ARCVerdict {
        let content = message.content
        guard hasARCField(content.headerBlock) else { return .none }
        let headerBlock = Array(content.headerBlock)
        if let observed {
            return await backend.arc.verify(
                headerBlock: headerBlock, bodyHashes: observed.bodyHashes ?? DKIMBodyHashes(),
                headerBlockComplete: content.headerBlockComplete, now: now
            )
        }
        guard !content.isSpilled, let whole = try? content.bytes() else {
            return await backend.arc.verify(headerBlock: headerBlock, bodyHashes: DKIMBodyHashes(), headerBlockComplete: false, now: now)
        }
        return await backend.arc.verify(message: whole, now: now)
    }

    /// Whether the header names any ARC field (a chain with only some of
    /// them is broken, and the verifier says so).
    static func hasARCField(_ headerBlock: ByteBufferView) -> Bool {
        ["ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results"].contains {
            HeaderSection.value(named: $0, in: headerBlock) != nil
        }
    }
}
