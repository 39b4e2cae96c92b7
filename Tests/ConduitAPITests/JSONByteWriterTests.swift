import ConduitCore
import Foundation
import NIOCore
import Testing
@testable import ConduitAPI

/// `JSONByteWriter` must write the values `APIJSON.encoder` (Foundation's
/// `JSONEncoder`, `.iso8601` dates) wrote before it replaced it on the list
/// routes byte for byte, and the same objects; members now come in
/// openapi.json's order (`JSONEncoder`'s order was a hash order).
@Suite struct JSONByteWriterTests {
    private func written(_ body: (inout JSONByteWriter) -> Void) -> String {
        var writer = JSONByteWriter(capacity: 16)
        body(&writer)
        return String(buffer: writer.buffer)
    }

    private func encoded(_ value: some Encodable) throws -> String {
        String(decoding: try APIJSON.encoder.encode(value), as: UTF8.self)
    }

    /// The JSON text with every object's members sorted: equal for the same
    /// values whatever order the members were written in.
    private func canonical(_ text: String) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    @Test func stringsAreEscapedLikeJSONEncoder() throws {
        var everyASCII = ""
        for byte in 0..<0x80 { everyASCII.unicodeScalars.append(Unicode.Scalar(UInt8(byte))) }
        let samples = [
            "", everyASCII, "https://hooks.example.com/a/b?c=d", "ü\u{2028}\u{2029}é😀\u{FEFF}", "tab\tquote\"back\\slash/",
            String(repeating: "x", count: 5000) + "\u{1}",
        ]
        for sample in samples {
            let mine = written { writer in
                writer.beginArray()
                writer.string(sample)
                writer.string(nil as String?)
                writer.endArray()
            }
            #expect(mine == (try encoded([sample as String?, nil])), "\(sample.debugDescription)")
        }
    }

    @Test func datesAreRFC3339LikeJSONEncoder() throws {
        let instants: [TimeInterval] = [
            0, -1, -86_400, -86_401, 951_782_400 /* 2000-02-29 */, 1_798_000_000, 1_798_000_000.999,
            4_102_444_799 /* 2099-12-31T23:59:59 */, 253_402_300_799 /* 9999-12-31T23:59:59 */, -62_135_596_800, /* 0001-01-01 */
        ]
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            let expected = try encoded(date)
            #expect(written { $0.date(date) } == expected, "\(instant)")
        }
        // Every day of a span with leap years and a century (2000), then every
        // 997th day up to 9999, at a second before midnight.
        for day in Array(10_950..<12_500) + Array(stride(from: 0, to: 2_932_896, by: 997)) {
            let date = Date(timeIntervalSince1970: TimeInterval(day * 86_400 + 86_399))
            #expect(written { $0.date(date) } == (try encoded(date)))
        }
    }

    @Test func integersAndLiteralsAreLikeJSONEncoder() throws {
        let numbers = [Int.min, -10, -1, 0, 9, 10, 99, 100, 1_000_000_007, Int.max]
        #expect(written { writer in
            writer.beginArray()
            for number in numbers { writer.int(number) }
            writer.bool(true)
            writer.bool(false)
            writer.int(nil as Int?)
            writer.endArray()
        } == (try encoded(numbers.map { Reference.Scalar.int($0) } + [.bool(true), .bool(false), .null])))
    }

    @Test func webhooksAreTheObjectsTheEncodableResponseWroteInSchemaOrder() throws {
        var first = Webhook(
            id: "01jfz3k6r8m4v2x9q7w5t1c0de", accountID: "a", address: "*@example.org",
            targetURL: "https://hooks.example.com/in?x=\"1\"", secret: "whsec_abc/def+", customHeaders: [:],
            payloadTemplate: nil, rateLimit: 0, active: true, smtpSecurityPolicyID: nil,
            createdAt: Date(timeIntervalSince1970: 1_798_000_000)
        )
        first.updatedAt = Date(timeIntervalSince1970: 1_798_000_100)
        var second = Webhook(
            id: "01jfz3k6r8m4v2x9q7w5t1c0df", accountID: "a", address: "ops+tag@example.org",
            targetURL: "http://10.0.0.1:8080/", secret: "whsec_x",
            customHeaders: ["X-One": "1", "X-Two": "zwei\n", "Authorization": "Bearer é", "X-Four": "", "X-Five": "/"],
            payloadTemplate: "{\"subject\": \"{{subject}}\"}\n", rateLimit: 60, active: false,
            smtpSecurityPolicyID: "01jfz3k6r8m4v2x9q7w5t1c0dg", createdAt: Date(timeIntervalSince1970: 0)
        )
        second.payloadFormat = .jsonRaw
        second.maxPayloadBytes = 65_536
        second.previousSecret = "whsec_old"
        second.previousSecretExpiresAt = Date(timeIntervalSince1970: 4_102_444_799)
        let webhooks = [first, second]
        let mine = written { webhooks.map(WebhooksController.WebhookResponse.init).write(to: &$0) }
        let expected = try encoded(webhooks.map(Reference.WebhookJSON.init))
        #expect(try canonical(mine) == canonical(expected))
        let golden = #"{"id":"01jfz3k6r8m4v2x9q7w5t1c0de","address":"*@example.org","target_url":"https:\/\/hooks.example.com\/in?x=\"1\"","#
            + #""secret":"whsec_abc\/def+","custom_headers":{},"payload_template":null,"rate_limit":0,"active":true,"#
            + #""smtp_security_policy_id":null,"payload_format":"json","max_payload_bytes":null,"previous_secret_expires_at":null,"#
            + #""created_at":"2026-12-23T04:26:40Z","updated_at":"2026-12-23T04:28:20Z"}"#
        #expect(written { WebhooksController.WebhookResponse(webhook: first).write(to: &$0) } == golden)
        #expect(written { [WebhooksController.WebhookResponse]().write(to: &$0) } == "[]")
        // A previous secret whose expiry has passed signs nothing: shown as null.
        second.previousSecretExpiresAt = Date(timeIntervalSince1970: 86_400)
        #expect(written { WebhooksController.WebhookResponse(webhook: second).write(to: &$0) }.contains(#""previous_secret_expires_at":null,"#))
    }

    @Test func deliveryLogsAreTheObjectsTheEncodableResponseWroteInSchemaOrder() throws {
        let logs = [
            DeliveryLog(
                id: "01jfz3k6r8m4v2x9q7w5t1c0dh", webhookID: "w", accountID: "a", deliveryID: nil, messageID: "m",
                smtpMessageID: "<a/b@example.org>", sender: "from@example.org", attemptedAt: Date(timeIntervalSince1970: 1_798_000_000),
                durationMs: 12, httpStatus: 503, error: "HTTP 503 \"busy\"", simulated: false
            ),
            DeliveryLog(
                id: "01jfz3k6r8m4v2x9q7w5t1c0dj", webhookID: "w", accountID: "a", deliveryID: "d", messageID: "m",
                smtpMessageID: nil, sender: "", attemptedAt: Date(timeIntervalSince1970: 1_798_000_001),
                durationMs: 0, httpStatus: nil, error: nil, simulated: true
            ),
        ]
        let mine = written { logs.map(WebhooksController.DeliveryLogResponse.init).write(to: &$0) }
        let expected = try encoded(logs.map(Reference.DeliveryLogJSON.init))
        #expect(try canonical(mine) == canonical(expected))
        let golden = #"{"id":"01jfz3k6r8m4v2x9q7w5t1c0dj","webhook_id":"w","attempted_at":"2026-12-23T04:26:41Z","duration_ms":0,"#
            + #""error":null,"http_status":null,"sender":"","simulated":true,"smtp_message_id":null}"#
        #expect(written { WebhooksController.DeliveryLogResponse(log: logs[1]).write(to: &$0) } == golden)
    }
}

/// The `Encodable` responses as they were before `JSONByteWriter`: the reference.
private enum Reference {
    enum Scalar: Encodable {
        case int(Int), bool(Bool), null

        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case let .int(value): try c.encode(value)
            case let .bool(value): try c.encode(value)
            case .null: try c.encodeNil()
            }
        }
    }

    struct WebhookJSON: Encodable {
        let webhook: Webhook

        enum CodingKeys: String, CodingKey {
            case id, address, target_url, secret, custom_headers, payload_template, rate_limit, active, smtp_security_policy_id
            case payload_format, max_payload_bytes, previous_secret_expires_at, created_at, updated_at
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(webhook.id, forKey: .id)
            try c.encode(webhook.address, forKey: .address)
            try c.encode(webhook.targetURL, forKey: .target_url)
            try c.encode(webhook.secret, forKey: .secret)
            try c.encode(webhook.customHeaders, forKey: .custom_headers)
            try c.encode(webhook.payloadTemplate, forKey: .payload_template)
            try c.encode(webhook.rateLimit, forKey: .rate_limit)
            try c.encode(webhook.active, forKey: .active)
            try c.encode(webhook.smtpSecurityPolicyID, forKey: .smtp_security_policy_id)
            try c.encode(webhook.payloadFormat.rawValue, forKey: .payload_format)
            try c.encode(webhook.maxPayloadBytes, forKey: .max_payload_bytes)
            try c.encode(webhook.previousSecretExpiresAt, forKey: .previous_secret_expires_at)
            try c.encode(webhook.createdAt, forKey: .created_at)
            try c.encode(webhook.updatedAt, forKey: .updated_at)
        }
    }

    struct DeliveryLogJSON: Encodable {
        let log: DeliveryLog

        enum CodingKeys: String, CodingKey {
            case id, webhook_id, attempted_at, duration_ms, error, http_status, sender, simulated, smtp_message_id
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(log.id, forKey: .id)
            try c.encode(log.webhookID, forKey: .webhook_id)
            try c.encode(log.attemptedAt, forKey: .attempted_at)
            try c.encode(log.durationMs, forKey: .duration_ms)
            try c.encode(log.error, forKey: .error)
            try c.encode(log.httpStatus, forKey: .http_status)
            try c.encode(log.sender, forKey: .sender)
            try c.encode(log.simulated, forKey: .simulated)
            try c.encode(log.smtpMessageID, forKey: .smtp_message_id)
        }
    }
}
