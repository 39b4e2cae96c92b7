public import ConduitCore
import FoundationEssentials

/// One signed webhook POST (docs/PAYLOAD.md, "The request"): the body, the Standard Webhooks
/// headers, `User-Agent`, and the webhook's custom headers.
public struct WebhookRequest: Sendable {
    public var url: String
    /// Header names and values in sending order.
    public var headers: [(String, String)]
    public var body: [UInt8]

    /// - Parameters:
    ///   - messageID: the `webhook-id`: the delivery's id, the same on every attempt.
    ///   - timestamp: unix seconds of this attempt (`webhook-timestamp`).
    public static func signed(
        webhook: Webhook, messageID: String, timestamp: Int, body: [UInt8], userAgent: String
    ) throws(EgressRefusal) -> WebhookRequest {
        guard let key = WebhookSignature.key(fromSecret: webhook.secret) else {
            throw EgressRefusal(reason: "the webhook's secret is not a whsec_ key")
        }
        var headers: [(String, String)] = [
            ("content-type", "application/json"),
            ("user-agent", userAgent),
            ("webhook-id", messageID),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", WebhookSignature.sign(key: key, id: messageID, timestamp: timestamp, body: body)),
        ]
        // The API refuses custom headers that would override these (422), so
        // they only add; sorted for a stable order.
        for (name, value) in webhook.customHeaders.sorted(by: { $0.key < $1.key }) {
            headers.append((name, value))
        }
        return WebhookRequest(url: webhook.targetURL, headers: headers, body: body)
    }
}
