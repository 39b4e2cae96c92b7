import FoundationEssentials

/// Standard Webhooks signatures (docs/PAYLOAD.md, "Signing"): HMAC-SHA256 over
/// `"<webhook-id>.<webhook-timestamp>.<body>"` with the key the webhook's
/// `whsec_…` secret encodes, sent as `webhook-signature: v1,<base64>`.
/// While a rotated-out secret is still valid the header carries a second
/// signature, `v1,<new> v1,<old>` (docs/DELIVERY.md, "Secret rotation").
public enum WebhookSignature {
    /// The keys one request is signed with: the current secret's, and the
    /// previous secret's while it is still valid. Every body kind signs
    /// through this one value, so none can forget the second signature.
    public struct Keys: Sendable, Equatable {
        public let current: [UInt8]
        public let previous: [UInt8]?

        public init(current: [UInt8], previous: [UInt8]? = nil) {
            self.current = current
            self.previous = previous
        }

        /// In the header's order: the current key first, so a receiver that
        /// checks signatures in order finds the one it most likely holds first.
        public var inHeaderOrder: [[UInt8]] { previous.map { [current, $0] } ?? [current] }
    }

    /// The HMAC key of a `whsec_<base64>` secret; `nil` when it is not one.
    public static func key(fromSecret secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))), !data.isEmpty else {
            return nil
        }
        return Array(data)
    }

    /// The `webhook-signature` header value for one request signed with one key.
    public static func sign(key: [UInt8], id: String, timestamp: Int, body: [UInt8]) -> String {
        sign(keys: Keys(current: key), id: id, timestamp: timestamp, body: body)
    }

    /// The `webhook-signature` header value: one `v1,<base64>` per key,
    /// space-separated, in `keys.inHeaderOrder`.
    public static func sign(keys: Keys, id: String, timestamp: Int, body: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        return header(keys.inHeaderOrder.map { HMAC.sha256(key: $0, message: content) })
    }

    /// `v1,<base64>` per MAC, separated by one space (Standard Webhooks).
    static func header(_ macs: [[UInt8]]) -> String {
        macs.map { "v1," + Data($0).base64EncodedString() }.joined(separator: " ")
    }
}
