import ConduitPolicy
import ConduitSMTP
import NIOCore

/// What the ingress learnt from a message's text while DATA arrived: the
/// body hashes its DKIM signatures and ARC-Message-Signatures ask for
/// (docs/DKIM.md, "Streaming"; docs/ARC.md, "Streaming").
struct DKIMObservation: Sendable {
    /// `nil` when the header block names no signature or was cut short.
    let bodyHashes: DKIMBodyHashes?
}

/// Feeds the body to a `DKIMBodyHasher` as it streams past, on the
/// connection's event loop, when the header block carries a DKIM-Signature
/// or (with ARC evaluated) an ARC-Message-Signature; otherwise it costs
/// nothing per byte.
final class DKIMStreamObserver: SMTPMessageObserver {
    private var hasher: DKIMBodyHasher?
    /// `[smtp] dmarc`: ARC is evaluated, so its body hashes are wanted.
    private let hashesForARC: Bool

    init(hashesForARC: Bool) {
        self.hashesForARC = hashesForARC
    }

    func headerBlock(_ bytes: ByteBufferView, complete: Bool) {
        // A header section longer than the kept block: DKIM gives permerror
        // and ARC fails without looking at the body (`headerBlockComplete: false`).
        guard complete else { return }
        let arc = hashesForARC && HeaderSection.value(named: "ARC-Message-Signature", in: bytes) != nil
        guard arc || HeaderSection.value(named: "DKIM-Signature", in: bytes) != nil else { return }
        let made = DKIMBodyHasher(headerBlock: Array(bytes), includingARC: arc)
        hasher = made.isNeeded ? made : nil
    }

    func body(_ bytes: ByteBufferView) {
        guard let hasher else { return }
        bytes.withUnsafeBytes { hasher.update($0) }
    }

    func finish() -> (any Sendable)? {
        defer { hasher = nil }
        return DKIMObservation(bodyHashes: hasher?.finish())
    }
}
