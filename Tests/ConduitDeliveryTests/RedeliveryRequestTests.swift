import ConduitCore
import ConduitMIME
import Foundation
import Testing
@testable import ConduitDelivery

/// What marks a redelivery's POST (docs/PAYLOAD.md): the header
/// `conduit-redelivery-of` and the payload's `redelivery_of`, in the default
/// body written both ways (tree and bytes).
@Suite struct RedeliveryRequestTests {
    static let webhook = Webhook(
        id: Identifier.generate().rawValue, accountID: "acct", address: "a@x.example", targetURL: "https://r.example/in",
        secret: "whsec_" + Data(Array(repeating: 7, count: 24)).base64EncodedString(), customHeaders: ["x-a": "1"],
        payloadTemplate: nil, rateLimit: 0, active: true, smtpSecurityPolicyID: nil, createdAt: Date()
    )

    @Test func theHeaderNamesTheReplayedDelivery() throws {
        let replay = try WebhookRequest.signed(
            webhook: Self.webhook, messageID: "new", timestamp: 1, body: [], userAgent: "t", conduitHeaders: WebhookRequest.redeliveryHeaders("old")
        )
        #expect(replay.headers.filter { $0.0 == "conduit-redelivery-of" }.map(\.1) == ["old"])
        #expect(replay.headers.map(\.0) == ["content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature", "conduit-redelivery-of", "x-a"])
        let original = try WebhookRequest.signed(
            webhook: Self.webhook, messageID: "new", timestamp: 1, body: [], userAgent: "t", conduitHeaders: WebhookRequest.redeliveryHeaders(nil)
        )
        #expect(!original.headers.contains { $0.0 == "conduit-redelivery-of" })
    }

    @Test func thePayloadCarriesRedeliveryOf() throws {
        let message = MIMEParser.parse(Array("Subject: hi\r\n\r\nx".utf8))
        let payload = WebhookPayload(message: message, context: PayloadContext(id: "m", webhookID: "w", redeliveryOf: "01abc"))
        #expect(payload.jsonValue()["redelivery_of"] == .string("01abc"))
        #expect(payload.compactJSON() == Array(payload.jsonValue().serialized().utf8))
        #expect(String(decoding: payload.compactJSON(), as: UTF8.self).contains(#""webhook_id":"w","redelivery_of":"01abc","received_at""#))
        #expect(WebhookPayload(message: message).jsonValue()["redelivery_of"] == .null)
    }
}
