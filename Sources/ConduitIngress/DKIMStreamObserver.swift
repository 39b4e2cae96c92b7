import ConduitPolicy
import ConduitSMTP
import NIOCore

/// What the ingress learnt from a message's text while DATA arrived: the
/// DKIM body hashes its signatures ask for (docs/DKIM.md, "Streaming").
struct DKIMObservation: Sendable {
    /// `nil` when the header block names no signature or was cut short.
    let bodyHashes: DKIMBodyHashes?
}

/// Feeds the body to a `DKIMBodyHasher` as it streams past, on the
/// connection's event loop, when the header block carries a DKIM-Signature;
/// otherwise it costs nothing per byte.
final class DKIMStreamObserver: SMTPMessageObserver {
    private var hasher: DKIMBodyHasher?

    func headerBlock(_ bytes: ByteBufferView, complete: Bool) {
        // A header section longer than the kept block: DKIM gives permerror
        // without looking at the body (`verify(headerBlockComplete: false)`).
        guard complete, HeaderSection.value(named: "DKIM-Signature", in: bytes) != nil else { return }
        let made = DKIMBodyHasher(headerBlock: Array(bytes))
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
