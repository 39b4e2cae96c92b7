public import ConduitCore
import FoundationEssentials

/// One signed webhook POST (docs/PAYLOAD.md, "The request"): the body, its
/// content type, the Standard Webhooks headers, `User-Agent`, Conduit's own
/// `conduit-*` headers (the `raw` format's envelope), and the webhook's
/// custom headers.
public struct WebhookRequest: Sendable {
    /// What is sent: bytes in memory (a rendered template, a simulation),
    /// or a body streamed from the spool (the JSON payload, or the message
    /// itself for `raw`) with its length known in advance (`Content-Length`,
    /// from the signing pass).
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
    ///   - contentType: `application/json`, or `message/rfc822` for the `raw` format.
    ///   - conduitHeaders: Conduit's own headers (`conduit-*`), sent after
    ///     the signature and before the custom headers.
    public static func signed(
        webhook: Webhook, messageID: String, timestamp: Int, body: [UInt8], userAgent: String,
        contentType: String = jsonContentType, conduitHeaders: [(String, String)] = []
    ) throws(EgressRefusal) -> WebhookRequest {
        let keys = try signingKeys(of: webhook, timestamp: timestamp)
        let signature = WebhookSignature.sign(keys: keys, id: messageID, timestamp: timestamp, body: body)
        return WebhookRequest(
            webhook: webhook, messageID: messageID, timestamp: timestamp, signature: signature, body: .bytes(body),
            userAgent: userAgent, contentType: contentType, conduitHeaders: conduitHeaders
        )
    }

    /// `conduit-redelivery-of: <webhook-id of the original>` on every POST
    /// of a redelivery, whatever the format (docs/PAYLOAD.md): in `raw` it is
    /// the only mark, in the JSON payload `redelivery_of` says it too.
    static func redeliveryHeaders(_ redeliveryOf: String?) -> [(String, String)] {
        redeliveryOf.map { [("conduit-redelivery-of", $0)] } ?? []
    }

    /// The JSON payload's (and a template's) content type.
    public static let jsonContentType = "application/json"
    /// The `raw` format's content type: the body is the message itself.
    public static let messageContentType = "message/rfc822"

    /// The HMAC keys an attempt at `timestamp` signs with: the secret's, and
    /// the previous secret's while it is valid at that time — the time the
    /// receiver sees in `webhook-timestamp` (docs/DELIVERY.md, "Secret rotation").
    /// Every body kind signs with these.
    static func signingKeys(of webhook: Webhook, timestamp: Int) throws(EgressRefusal) -> WebhookSignature.Keys {
        guard let current = WebhookSignature.key(fromSecret: webhook.secret) else {
            throw EgressRefusal(reason: "the webhook's secret is not a whsec_ key")
        }
        // The API validated the previous secret when it was current; one that
        // does not decode would only be left out, the current one still signs.
        let previous = webhook.previousSecret(at: Date(timeIntervalSince1970: Double(timestamp)))
            .flatMap(WebhookSignature.key(fromSecret:))
        return WebhookSignature.Keys(current: current, previous: previous)
    }

    /// A request whose `signature` (the header value, one or two signatures)
    /// was computed over `body` already (a stream's first pass).
    init(
        webhook: Webhook, messageID: String, timestamp: Int, signature: String, body: Body, userAgent: String,
        contentType: String = jsonContentType, conduitHeaders: [(String, String)] = []
    ) {
        var headers: [(String, String)] = [
            ("content-type", contentType),
            ("user-agent", userAgent),
            ("webhook-id", messageID),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", signature),
        ]
        headers += conduitHeaders
        // The API refuses custom headers that would override these or use
        // the `conduit-` prefix (422), so they only add; sorted for a stable order.
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
