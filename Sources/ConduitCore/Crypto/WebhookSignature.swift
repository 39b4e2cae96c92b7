import FoundationEssentials

/// Standard Webhooks signatures (docs/PAYLOAD.md, "Signing"): HMAC-SHA256 over
/// `"<webhook-id>.<webhook-timestamp>.<body>"` with the key the webhook's
/// `whsec_…` secret encodes, sent as `webhook-signature: v1,<base64>`.
public enum WebhookSignature {
    /// The HMAC key of a `whsec_<base64>` secret; `nil` when it is not one.
    public static func key(fromSecret secret: String) -> [UInt8]? {
        guard secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))), !data.isEmpty else {
            return nil
        }
        return Array(data)
    }

    /// The `webhook-signature` header value for one request.
    public static func sign(key: [UInt8], id: String, timestamp: Int, body: [UInt8]) -> String {
        var content = Array("\(id).\(timestamp).".utf8)
        content += body
        return "v1," + Data(HMAC.sha256(key: key, message: content)).base64EncodedString()
    }
}
