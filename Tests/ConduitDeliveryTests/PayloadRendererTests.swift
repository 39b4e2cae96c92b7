import ConduitCore
import ConduitMIME
import Foundation
import Testing
@testable import ConduitDelivery

/// The POST body: the default JSON, and Mustache templates whose values are
/// escaped for JSON strings.
@Suite struct PayloadRendererTests {
    let message = MIMEParser.parse(Array(
        "From: \"Q \\\"uote\\\"\" <q@example.org>\r\nTo: a@x.example\r\nSubject: line \"one\" \\ <b>\u{1}\r\n\r\nBody\r\n".utf8
    ))
    let context = PayloadContext(id: "m1", webhookID: "w1", mailFrom: "q@example.org", rcptTo: "a@x.example")

    func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func defaultBodyIsThePayloadJSON() throws {
        let body = try json(PayloadRenderer.renderNow(message: message, context: context, template: nil))
        #expect(body["id"] as? String == "m1")
        #expect(body["subject"] as? String == "line \"one\" \\ <b>\u{1}")
        #expect(body["tag"] is NSNull)
    }

    @Test func templateValuesAreJSONEscaped() throws {
        let template = #"{"s": "{{subject}}", "name": "{{from.name}}", "rcpt": "{{envelope.rcpt_to}}", "size": {{size}}}"#
        let body = try json(PayloadRenderer.renderNow(message: message, context: context, template: template))
        #expect(body["s"] as? String == "line \"one\" \\ <b>\u{1}")
        #expect(body["name"] as? String == "Q \"uote\"")
        #expect(body["rcpt"] as? String == "a@x.example")
        #expect(body["size"] as? Int == message.size)
    }

    @Test func nullsRenderAsNothingAndSkipSections() throws {
        let template = "[{{tag}}]{{#tag}}has tag{{/tag}}{{^tag}}no tag{{/tag}}"
        #expect(String(decoding: try PayloadRenderer.renderNow(message: message, context: context, template: template), as: UTF8.self) == "[]no tag")
    }

    @Test func listsIterate() throws {
        let template = "{{#to}}<{{address}}>{{/to}}"
        #expect(String(decoding: try PayloadRenderer.renderNow(message: message, context: context, template: template), as: UTF8.self) == "<a@x.example>")
    }
}

@Suite struct WebhookRequestTests {
    let webhook = Webhook(
        id: "w1", accountID: "a1", address: "a@x.example", targetURL: "https://hooks.example/in",
        secret: "whsec_" + Data(Array(repeating: 7, count: 24)).base64EncodedString(),
        customHeaders: ["X-B": "2", "X-A": "1"], payloadTemplate: nil, rateLimit: 0, active: true,
        smtpSecurityPolicyID: nil, createdAt: Date()
    )

    @Test func signsAndAddsCustomHeadersAfterTheFixedOnes() throws {
        let body = Array(#"{"a":1}"#.utf8)
        let request = try WebhookRequest.signed(webhook: webhook, messageID: "d1", timestamp: 1_700_000_000, body: body, userAgent: "Conduit/1.2.3")
        #expect(request.headers.map(\.0) == ["content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature", "X-A", "X-B"])
        let key = try #require(WebhookSignature.key(fromSecret: webhook.secret))
        let expected = WebhookSignature.sign(key: key, id: "d1", timestamp: 1_700_000_000, body: body)
        #expect(request.headers.first { $0.0 == "webhook-signature" }?.1 == expected)
        #expect(request.url == "https://hooks.example/in")
    }

    /// A rotated webhook's POSTs carry `v1,<new> v1,<old>` while the old
    /// secret is valid at the attempt's `webhook-timestamp`, then only the new.
    @Test func signsWithThePreviousSecretUntilItExpires() throws {
        var rotated = webhook
        rotated.previousSecret = "whsec_" + Data(Array(repeating: 3, count: 24)).base64EncodedString()
        rotated.previousSecretExpiresAt = Date(timeIntervalSince1970: 1_700_000_010)
        let body = Array(#"{"a":1}"#.utf8)
        let oldSecret = try #require(rotated.previousSecret)
        let oldKey = try #require(WebhookSignature.key(fromSecret: oldSecret))
        let keys = WebhookSignature.Keys(current: try #require(WebhookSignature.key(fromSecret: webhook.secret)), previous: oldKey)
        func header(at timestamp: Int) throws -> String? {
            try WebhookRequest.signed(webhook: rotated, messageID: "d1", timestamp: timestamp, body: body, userAgent: "x")
                .headers.first { $0.0 == "webhook-signature" }?.1
        }
        #expect(try header(at: 1_700_000_009) == WebhookSignature.sign(keys: keys, id: "d1", timestamp: 1_700_000_009, body: body))
        #expect(try header(at: 1_700_000_010) == WebhookSignature.sign(key: keys.current, id: "d1", timestamp: 1_700_000_010, body: body))
        #expect(try WebhookRequest.signingKeys(of: rotated, timestamp: 1_700_000_009) == keys)
        #expect(try WebhookRequest.signingKeys(of: rotated, timestamp: 1_700_000_010) == .init(current: keys.current))
    }

    @Test func refusesASecretThatIsNotAKey() {
        var broken = webhook
        broken.secret = "not-a-secret"
        #expect(throws: EgressRefusal.self) {
            try WebhookRequest.signed(webhook: broken, messageID: "d1", timestamp: 1, body: [], userAgent: "x")
        }
    }
}
