public import ConduitCore
import FoundationEssentials

/// One signed webhook POST (docs/PAYLOAD.md, "The request"): the body, the Standard Webhooks
/// headers, `User-Agent`, and the webhook's custom headers.
public struct WebhookRequest: Sendable {
    /// What is sent: bytes in memory (a rendered template, a simulation),
    /// or the default payload streamed from the spool with its length known
    /// in advance (`Content-Length`, from the signing pass).
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(PayloadStream, length: Int)

        public var count: Int {
            switch self {
            case let .bytes(bytes): bytes.count
            case let .stream(_, length): length
            }
        }
    }

    public var url: String
    /// Header names and values in sending order.
    public var headers: [(String, String)]
    public var body: Body

    /// A request for a body held in memory.
    /// - Parameters:
    ///   - messageID: the `webhook-id`: the delivery's id, the same on every attempt.
    ///   - timestamp: unix seconds of this attempt (`webhook-timestamp`).
    ///   - redeliveryOf: for a redelivery, the `webhook-id` it replays (`conduit-redelivery-of`).
    public static func signed(
        webhook: Webhook, messageID: String, timestamp: Int, body: [UInt8], userAgent: String, redeliveryOf: String? = nil
    ) throws(EgressRefusal) -> WebhookRequest {
        let key = try key(of: webhook)
        let signature = WebhookSignature.sign(key: key, id: messageID, timestamp: timestamp, body: body)
        return WebhookRequest(
            webhook: webhook, messageID: messageID, timestamp: timestamp, signature: signature, body: .bytes(body), userAgent: userAgent,
            redeliveryOf: redeliveryOf
        )
    }

    /// The HMAC key of the webhook's secret.
    static func key(of webhook: Webhook) throws(EgressRefusal) -> [UInt8] {
        guard let key = WebhookSignature.key(fromSecret: webhook.secret) else {
            throw EgressRefusal(reason: "the webhook's secret is not a whsec_ key")
        }
        return key
    }

    /// A request whose `signature` was computed over `body` already (a stream's first pass).
    init(
        webhook: Webhook, messageID: String, timestamp: Int, signature: String, body: Body, userAgent: String, redeliveryOf: String? = nil
    ) {
        var headers: [(String, String)] = [
            ("content-type", "application/json"),
            ("user-agent", userAgent),
            ("webhook-id", messageID),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature),
        ]
        // A replay says which delivery it repeats (docs/PAYLOAD.md); the
        // payload's `redelivery_of` says the same, under the signature.
        if let redeliveryOf { headers.append(("conduit-redelivery-of", redeliveryOf)) }
        // The API refuses custom headers that would override these (422), so
        // they only add; sorted for a stable order.
        for (name, value) in webhook.customHeaders.sorted(by: { $0.key < $1.key }) {
            headers.append((name, value))
        }
        self.init(url: webhook.targetURL, headers: headers, body: body)
    }

    init(url: String, headers: [(String, String)], body: Body) {
        self.url = url
        self.headers = headers
        self.body = body
    }
}
