import ConduitCore
import ConduitDelivery
import ConduitMIME
import Foundation
import Testing

/// The webhook payload of docs/PAYLOAD.md.
@Suite struct WebhookPayloadTests {
    static let keys = [
        "id", "webhook_id", "redelivery_of", "received_at", "envelope", "auth", "message_id", "subject", "date", "from", "to", "cc",
        "reply_to", "tag", "headers", "text", "html", "reply_text", "attachments", "size",
    ]

    @Test func everyKeyPresentAndNullWhenEmpty() throws {
        let payload = WebhookPayload.payloadJSON(message: MIMEParser.parse([]))
        guard case let .object(members) = payload else { Issue.record("not an object"); return }
        #expect(members.map(\.0) == Self.keys)
        #expect(payload["id"] == .null)
        #expect(payload["from"] == .null)
        #expect(payload["to"] == .array([]))
        #expect(payload["envelope"] == .object([
            ("mail_from", .null), ("rcpt_to", .null), ("remote_ip", .null), ("helo", .null), ("tls", .null), ("auth_user", .null),
        ]))
        #expect(payload["auth"] == .object([
            ("spf", .object([("result", .null), ("domain", .null)])), ("dkim", .array([])),
            ("dmarc", .object([("result", .null), ("domain", .null), ("policy", .null), ("spf_aligned", .null), ("dkim_aligned", .null)])),
            ("arc", .object([("result", .null), ("instances", .null)])), ("results", .null),
        ]))
        // Valid JSON for Foundation too.
        let data = Data(payload.serialized().utf8)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == Set(Self.keys))
    }

    @Test func contextFillsEnvelopeAndAuth() {
        let context = PayloadContext(
            id: "msg_1", webhookID: "wh_1", receivedAt: Date(timeIntervalSince1970: 1_743_501_600), mailFrom: "s@example.org",
            rcptTo: "hello+news@conduit.test", remoteIP: "192.0.2.7", helo: "mx.example.org", tls: true, authUser: nil,
            spf: .init(result: "pass", domain: "example.org"), dkim: [.init(domain: "example.org", selector: "s1", result: "pass")], tag: "news"
        )
        let payload = WebhookPayload.payloadJSON(message: MIMEParser.parse(Array("Subject: hi\n\nx".utf8)), context: context)
        #expect(payload["received_at"] == .string("2025-04-01T10:00:00Z"))
        #expect(payload["tag"] == .string("news"))
        #expect(payload["envelope"]?["tls"] == .bool(true))
        #expect(payload["envelope"]?["auth_user"] == .null)
        #expect(payload["auth"]?["spf"]?["domain"] == .string("example.org"))
        #expect(payload["auth"]?["dkim"] == .array([.object([("domain", .string("example.org")), ("selector", .string("s1")), ("result", .string("pass"))])]))
        // Spooled before DMARC and ARC were evaluated: nulls, no results.
        #expect(payload["auth"]?["dmarc"]?["result"] == .null)
        #expect(payload["auth"]?["results"] == .null)
    }

    @Test func dmarcArcAndAuthenticationResults() {
        var context = PayloadContext(
            mailFrom: "s@example.org", helo: "mx.example.org", spf: .init(result: "pass", domain: "example.org"),
            dkim: [.init(domain: "example.org", selector: "s1", result: "pass"), .init(domain: "other.example", selector: "k", result: "fail")],
            dmarc: SpooledDMARC(result: "pass", domain: "example.org", policy: "reject", spfAligned: true, dkimAligned: true,
                                organizationalDomain: "example.org"),
            arc: SpooledARC(result: "pass", instances: 2), authservID: "mx.conduit.test"
        )
        let message = MIMEParser.parse(Array("Subject: hi\n\nx".utf8))
        var payload = WebhookPayload.payloadJSON(message: message, context: context)
        #expect(payload["auth"]?["dmarc"] == .object([
            ("result", .string("pass")), ("domain", .string("example.org")), ("policy", .string("reject")),
            ("spf_aligned", .bool(true)), ("dkim_aligned", .bool(true)),
        ]))
        #expect(payload["auth"]?["arc"] == .object([("result", .string("pass")), ("instances", .int(2))]))
        #expect(payload["auth"]?["results"] == .string(
            "mx.conduit.test; spf=pass smtp.mailfrom=s@example.org; dkim=pass header.d=example.org header.s=s1; "
                + "dkim=fail header.d=other.example header.s=k; dmarc=pass header.from=example.org; arc=pass"))

        // The null sender's SPF is HELO's; an unsigned message is dkim=none;
        // a From: that could not be read has no header.from; odd local parts are quoted.
        context.mailFrom = ""
        context.spf = .init(result: "none", domain: "mx.example.org")
        context.dkim = []
        context.dmarc = SpooledDMARC(result: "permerror", domain: "", policy: "none", spfAligned: false, dkimAligned: false,
                                     organizationalDomain: nil)
        context.arc = SpooledARC(result: "none", instances: 0)
        payload = WebhookPayload.payloadJSON(message: message, context: context)
        #expect(payload["auth"]?["dmarc"]?["domain"] == .null)
        #expect(payload["auth"]?["results"] == .string("mx.conduit.test; spf=none smtp.helo=mx.example.org; dkim=none; dmarc=permerror; arc=none"))
        context.mailFrom = "a b\"c@example.org"
        context.spf = .init(result: "fail", domain: "example.org")
        payload = WebhookPayload.payloadJSON(message: message, context: context)
        #expect((payload["auth"]?["results"]?.anyValue as? String)?.contains(#"spf=fail smtp.mailfrom="a b\"c"@example.org;"#) == true)
        context.mailFrom = ""
        context.spf = .init(result: "none", domain: "mx.example.org")

        // DMARC switched off: the methods are left out, not reported as none.
        context.dmarc = nil
        context.arc = nil
        payload = WebhookPayload.payloadJSON(message: message, context: context)
        #expect(payload["auth"]?["results"] == .string("mx.conduit.test; spf=none smtp.helo=mx.example.org; dkim=none"))
        #expect(payload["auth"]?["arc"] == .object([("result", .null), ("instances", .null)]))
    }

    @Test func stringsAreEscaped() throws {
        let value = JSONValue.object([("s", .string("q\"b\\n\n\u{0}\u{1F}é😀\u{2028}"))])
        #expect(value.serialized() == "{\"s\":\"q\\\"b\\\\n\\n\\u0000\\u001fé😀\\u2028\"}")
        let decoded = try JSONSerialization.jsonObject(with: Data(value.serialized().utf8)) as? [String: String]
        #expect(decoded?["s"] == "q\"b\\n\n\u{0}\u{1F}é😀\u{2028}")
    }

    /// The escaping works over UTF-8 bytes: every scalar up to U+FFFF (and
    /// some beyond) escapes as the scalar-by-scalar rule says, alone and
    /// between plain text, pretty or not.
    @Test func byteEscapingMatchesTheScalarRule() {
        func reference(_ value: String) -> String {
            var out = "\""
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{2028}": out += "\\u2028"
                case "\u{2029}": out += "\\u2029"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        var scalars = (0..<0xD800).compactMap(Unicode.Scalar.init)
        scalars += (0xE000...0xFFFF).compactMap(Unicode.Scalar.init)
        scalars += [Unicode.Scalar(0x1F600)!, Unicode.Scalar(0x10FFFF)!]
        var mismatched: [UInt32] = []
        for scalar in scalars {
            let alone = String(Character(scalar))
            let within = "a\u{E2}\(alone)\u{80}b"
            if JSONValue.string(alone).serialized() != reference(alone) || JSONValue.string(within).serialized() != reference(within) {
                mismatched.append(scalar.value)
            }
        }
        #expect(mismatched.isEmpty)
        let all = String(String.UnicodeScalarView(scalars))
        #expect(JSONValue.string(all).serialized() == reference(all))
        #expect(JSONValue.array([.string("\u{7F}\r\t\u{2029}")]).serialized(pretty: true) == "[\n  \"\\u007f\\r\\t\\u2029\"\n]")
    }

    @Test func attachmentsAndReplyText() {
        let message = MIMEParser.parse(Array("Content-Type: multipart/mixed; boundary=b\n\n--b\n\nYes.\n\nOn Mon, Jane <j@x.org> wrote:\n> q\n--b\nContent-Type: application/octet-stream\n\n\u{1}\u{2}\n--b--\n".utf8))
        let payload = WebhookPayload.payloadJSON(message: message)
        #expect(payload["reply_text"] == .string("Yes."))
        #expect(payload["attachments"] == .array([.object([
            ("filename", .null), ("content_type", .string("application/octet-stream")), ("size", .int(2)),
            ("content_id", .null), ("disposition", .null), ("content_base64", .string("AQI=")),
        ])]))
    }

    @Test func anyValueForTemplates() {
        let any = WebhookPayload.payloadJSON(message: MIMEParser.parse(Array("Subject: hi\n\nx".utf8))).anyValue as? [String: Any]
        #expect(any?["subject"] as? String == "hi")
        #expect(any?["size"] as? Int == 14)
        #expect((any?["to"] as? [Any])?.isEmpty == true)
    }
}
