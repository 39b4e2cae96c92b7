import ConduitCore
import ConduitStore
import Foundation
import Logging
import NIOHTTP1
import Testing
@testable import ConduitDelivery

/// The requests of the `json_raw` and `raw` formats (docs/DELIVERY.md,
/// "Payload formats"): the envelope headers and their encoding, the
/// header order, and whole attempts over a real store to a real HTTP
/// server on loopback — what arrives is signed, typed and byte for byte
/// the spooled message.
@Suite struct PayloadFormatRequestTests {
    /// A header value must be printable ASCII (no CR, LF, NUL, space at the
    /// ends), and decode back to the text.
    static func isSafe(_ value: String) -> Bool {
        value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    @Test func asciiAddressesAreSentAsTheyAre() {
        for value in ["alice@example.org", "a+tag@x.example", "o'neil!#$&*=?^_`{|}~@x.example", "2001:db8::1", "pass"] {
            #expect(HeaderValue.encode(value) == value)
        }
        #expect(HeaderValue.encode("") == "")
    }

    @Test func everythingElseIsPercentEncodedUTF8() {
        let cases: [(String, String)] = [
            ("用户@例子.广告", "%E7%94%A8%E6%88%B7@%E4%BE%8B%E5%AD%90.%E5%B9%BF%E5%91%8A"),
            ("josé@example.org", "jos%C3%A9@example.org"),
            ("a b", "a%20b"),
            ("100%@x", "100%25@x"),
            ("x\r\nInjected: 1", "x%0D%0AInjected:%201"),
            ("nul\u{0}del\u{7F}tab\t", "nul%00del%7Ftab%09"),
            ("\"quoted local\"@x.example", "\"quoted%20local\"@x.example"),
        ]
        for (text, encoded) in cases {
            let value = HeaderValue.encode(text)
            #expect(value == encoded)
            #expect(Self.isSafe(value))
            #expect(value.removingPercentEncoding == text)
        }
    }

    @Test func theEnvelopeHeadersOfASpooledMessage() {
        var message = SpooledMessage(id: "m1", receivedAt: Date(), mailFrom: "", remoteIP: "2001:db8::7", helo: "c", tls: false,
                                     authUser: nil, spf: nil, dkim: [], size: 1, recipients: [])
        // The null sender is an empty value; SPF not checked is `none`.
        #expect(EnvelopeHeaders.headers(of: message, rcptTo: "ünï@x.example").map { "\($0): \($1)" } == [
            "conduit-mail-from: ", "conduit-rcpt-to: %C3%BCn%C3%AF@x.example", "conduit-remote-ip: 2001:db8::7", "conduit-spf: none",
        ])
        message.mailFrom = "bounce@example.org"
        message.spf = SpooledSPF(result: "softfail", domain: "example.org")
        #expect(EnvelopeHeaders.headers(of: message, rcptTo: "r@x.example").map { "\($0): \($1)" } == [
            "conduit-mail-from: bounce@example.org", "conduit-rcpt-to: r@x.example", "conduit-remote-ip: 2001:db8::7", "conduit-spf: softfail",
        ])
    }

    @Test func conduitHeadersComeAfterTheSignatureAndBeforeCustomHeaders() throws {
        var hook = Webhook(id: "w1", accountID: "a", address: "r@x.example", targetURL: "https://h.example/in",
                           secret: "whsec_" + Data(repeating: 7, count: 24).base64EncodedString(), customHeaders: ["X-B": "2", "X-A": "1"],
                           payloadTemplate: nil, rateLimit: 0, active: true, smtpSecurityPolicyID: nil, createdAt: Date())
        hook.payloadFormat = .raw
        let body = Array("Subject: s\r\n\r\nhi\r\n".utf8)
        let request = try WebhookRequest.signed(
            webhook: hook, messageID: "d1", timestamp: 1_700_000_000, body: body, userAgent: "Conduit/test",
            contentType: hook.payloadFormat.contentType, conduitHeaders: [("conduit-mail-from", "s@example.org")]
        )
        #expect(request.headers.map(\.0) == [
            "content-type", "user-agent", "webhook-id", "webhook-timestamp", "webhook-signature", "conduit-mail-from", "X-A", "X-B",
        ])
        #expect(request.headers[0].1 == "message/rfc822")
        let key = try #require(WebhookSignature.key(fromSecret: hook.secret))
        #expect(request.headers[4].1 == WebhookSignature.sign(key: key, id: "d1", timestamp: 1_700_000_000, body: body))
        #expect(Webhook.PayloadFormat.json.contentType == "application/json" && Webhook.PayloadFormat.jsonRaw.contentType == "application/json")
    }

    // MARK: Attempts over a real store to a real server

    final class Fixture: @unchecked Sendable {  // used by one test at a time
        let directory: String
        let store: Store
        let client: WebhookHTTPClient
        let engine: DeliveryEngine
        let server: WebhookHTTPClientTests.Server

        init() async throws {
            var template = Array("/tmp/conduit-format-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(path: directory, mapSizeBytes: 64 << 20,
                              schema: Schema(version: 1, records: [Webhook.self] + Spool.recordTypes, rawDatabases: Spool.rawDatabases))
            client = try WebhookHTTPClientTests.client()
            let settings = DeliverySettings(
                // Generous: the chunks are made on the render threads (one on
                // two cores), which the template suites keep busy in parallel;
                // 60 s was overrun once on a machine busy with other jobs.
                timeout: WebhookHTTPClientTests.patience, schedule: RetrySchedule(initial: .seconds(30), maximum: .seconds(3600), maxAge: .seconds(3600)),
                maxInFlightPerWebhook: 2, userAgent: "Conduit/test", maxInFlight: 16, batchSize: 16
            )
            engine = DeliveryEngine(store: store, client: client, settings: settings, logger: Logger(label: "test"))
            server = try await WebhookHTTPClientTests.Server(answer: .status(200))
        }

        func close() async {
            await client.shutdown()
            await server.close()
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Spools `body` from `mailFrom` for a new webhook of `format`, and
        /// runs its delivery's first attempt; returns what the server saw.
        func deliver(
            _ body: [UInt8], format: Webhook.PayloadFormat, mailFrom: String, spf: SpooledSPF?, previousSecret: String? = nil
        ) async throws -> (WebhookHTTPClientTests.Seen, Webhook) {
            var hook = Webhook(id: Identifier.generate().rawValue, accountID: "acct", address: "ü\(UUID().uuidString.prefix(8).lowercased())@x.example",
                               targetURL: "http://127.0.0.1:\(server.port)/in", secret: "whsec_" + Data(repeating: 3, count: 32).base64EncodedString(),
                               customHeaders: ["X-Tenant": "acme"], payloadTemplate: nil, rateLimit: 0, active: true, smtpSecurityPolicyID: nil,
                               createdAt: Date())
            hook.payloadFormat = format
            hook.previousSecret = previousSecret
            hook.previousSecretExpiresAt = previousSecret.map { _ in Date().addingTimeInterval(3600) }
            let id = Identifier.generate().rawValue
            let message = SpooledMessage(id: id, receivedAt: Date(), mailFrom: mailFrom, remoteIP: "192.0.2.9", helo: "c.example",
                                         tls: false, authUser: nil, spf: spf, dkim: [], size: body.count,
                                         recipients: [SpooledRecipient(rcptTo: hook.address, webhookID: hook.id, accountID: hook.accountID, tag: nil)])
            let delivery = Delivery(id: Identifier.generate().rawValue, messageID: id, webhookID: hook.id, accountID: hook.accountID,
                                    rcptTo: hook.address, tag: nil, nextAttemptAt: Date(), createdAt: Date())
            try store.write {
                try $0.insert(hook)
                try $0.insert(SpoolEntry(message: message, body: body, deliveries: [delivery], logs: []))
            }
            let before = server.seen.count
            let claim = try #require(try engine.claimDue(now: Date()).claims.first { $0.delivery.id == delivery.id })
            let report = try #require(await engine.attempt(claim))
            #expect(report.response.status == 200, "\(report.response)")
            let seen = try #require(server.seen.dropFirst(before).first)
            let keys = WebhookSignature.Keys(
                current: try #require(WebhookSignature.key(fromSecret: hook.secret)),
                previous: previousSecret.flatMap(WebhookSignature.key(fromSecret:))
            )
            let headers = seen.head.headers
            #expect(headers["webhook-id"] == [delivery.id])
            let timestamp = try #require(headers["webhook-timestamp"].first.flatMap { Int($0) })
            #expect(headers["webhook-signature"] == [WebhookSignature.sign(keys: keys, id: delivery.id, timestamp: timestamp, body: seen.body)])
            #expect(headers["x-tenant"] == ["acme"])
            #expect(headers["content-length"] == [String(seen.body.count)])
            return (seen, hook)
        }
    }

    /// A body of several chunks (streamed in pass 2) and one of a single
    /// chunk (sent from pass 1), with 8-bit bytes and an SMTPUTF8 recipient.
    static let bodies: [[UInt8]] = [
        PayloadFormatStreamTests.eightBit(length: 200_001),
        Array("Message-ID: <one@example.org>\r\nSubject: small\r\n\r\nhi\r\n".utf8),
    ]

    @Test func aRawAttemptPostsTheSpooledMessageWithTheEnvelopeInHeaders() async throws {
        let f = try await Fixture()
        var hooks: [Webhook] = []
        for body in Self.bodies {
            let (seen, hook) = try await f.deliver(body, format: .raw, mailFrom: "", spf: SpooledSPF(result: "pass", domain: "c.example"))
            hooks.append(hook)
            #expect(seen.body == body)
            let headers = seen.head.headers
            #expect(headers["content-type"] == ["message/rfc822"])
            #expect(headers["conduit-mail-from"] == [""])
            #expect(headers["conduit-rcpt-to"] == [HeaderValue.encode(hook.address)])
            #expect(headers["conduit-rcpt-to"].first?.removingPercentEncoding == hook.address)
            #expect(headers["conduit-remote-ip"] == ["192.0.2.9"] && headers["conduit-spf"] == ["pass"])
        }
        // The log keeps the Message-ID read from the header block.
        let logs = try f.store.read { try $0.list(DeliveryLog.self, index: .byWebhook, key: hooks[1].id) }
        #expect(logs.count == 1 && logs.first?.smtpMessageID == "<one@example.org>" && logs.first?.httpStatus == 200)
        await f.close()
    }

    /// A secret rotation signs a streamed `raw` body with both secrets.
    @Test func aRawAttemptDuringASecretRotationCarriesTwoSignatures() async throws {
        let f = try await Fixture()
        let previous = "whsec_" + Data(repeating: 9, count: 32).base64EncodedString()
        for body in Self.bodies {
            let (seen, _) = try await f.deliver(body, format: .raw, mailFrom: "s@example.org", spf: nil, previousSecret: previous)
            #expect(seen.body == body)
            #expect(seen.head.headers["webhook-signature"].first?.split(separator: " ").count == 2)
        }
        await f.close()
    }

    @Test func aJSONRawAttemptPostsThePayloadWithRawBase64() async throws {
        let f = try await Fixture()
        for body in Self.bodies {
            let (seen, _) = try await f.deliver(body, format: .jsonRaw, mailFrom: "s@example.org", spf: nil)
            let headers = seen.head.headers
            #expect(headers["content-type"] == ["application/json"])
            #expect(headers["conduit-mail-from"].isEmpty && headers["conduit-spf"].isEmpty)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(seen.body)) as? [String: Any])
            let text = try #require(object["raw_base64"] as? String)
            #expect(Data(base64Encoded: text).map(Array.init) == body)
            #expect(object["size"] as? Int == body.count)
        }
        await f.close()
    }

    @Test func aJSONAttemptHasNoRawMember() async throws {
        let f = try await Fixture()
        let (seen, _) = try await f.deliver(Self.bodies[1], format: .json, mailFrom: "s@example.org", spf: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(seen.body)) as? [String: Any])
        #expect(object["raw_base64"] == nil && object["size"] as? Int == Self.bodies[1].count)
        #expect(seen.head.headers["content-type"] == ["application/json"] && seen.head.headers["conduit-spf"].isEmpty)
        await f.close()
    }
}
