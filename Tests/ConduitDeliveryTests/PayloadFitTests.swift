import ConduitCore
import ConduitMIME
import ConduitStore
import ConduitWebhooks
import Foundation
import Testing
@testable import ConduitDelivery

/// Payloads cut to `max_payload_bytes` (docs/DELIVERY.md, "Payloads sized to
/// the receiver"): the order of the steps, largest attachment first, the exact
/// length (≤ the limit, and what the plan predicted), texts cut at a scalar
/// boundary measured after JSON escaping, and the cut body valid JSON.
@Suite struct PayloadFitTests {
    typealias Fixture = PayloadStreamTests.Fixture
    static let base = "https://conduit.example"

    /// A message with a text, an HTML body and three attachments of 90, 30 and 60 KB (base64).
    static func message(text: String = "Hello \"there\"", html: String = "<p>hi</p>", sizes: [Int] = [90_000, 30_000, 60_000]) -> [UInt8] {
        var out = "From: a@example.org\r\nTo: b@x.example\r\nSubject: fit\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n"
        out += "--BB\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\(text)\r\n"
        out += "--BB\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\(html)\r\n"
        for (index, size) in sizes.enumerated() {
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
            let encoded = Data(bytes).base64EncodedString(options: .lineLength76Characters)
            out += "--BB\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"a\(index).bin\"\r\n"
            out += "Content-Transfer-Encoding: base64\r\n\r\n\(encoded)\r\n"
        }
        out += "--BB--\r\n"
        return Array(out.utf8)
    }

    /// The body streamed for `limit`, parsed, with its length.
    static func body(_ raw: [UInt8], limit: Int?, in f: Fixture) throws -> (json: [String: Any], length: Int, bytes: [UInt8]) {
        let id = try f.spool(raw)
        let sizing = limit.map { PayloadSizing(limit: $0, linkBase: base) }
        let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: PayloadStreamTests.context, sizing: sizing, chunkBytes: 4096))
        let bytes = try stream.collect()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        return (json, bytes.count, bytes)
    }

    static func attachments(_ json: [String: Any]) -> [[String: Any]] {
        json["attachments"] as? [[String: Any]] ?? []
    }

    @Test func aBodyWithinTheLimitIsUnchanged() throws {
        let f = try Fixture()
        let raw = Self.message()
        let whole = try Self.body(raw, limit: nil, in: f)
        let within = try Self.body(raw, limit: whole.length, in: f)
        #expect(within.bytes == whole.bytes)
        #expect(within.json["truncated"] == nil)
        #expect(Self.attachments(within.json).allSatisfy { $0["url"] == nil && $0["content_base64"] is String })
    }

    @Test func attachmentsBecomeLinksLargestFirstUntilTheBodyFits() throws {
        let f = try Fixture()
        let raw = Self.message()
        let whole = try Self.body(raw, limit: nil, in: f).length
        // 90 KB base64 is 120,000 bytes: linking the largest alone is enough.
        let one = try Self.body(raw, limit: whole - 100_000, in: f)
        #expect(one.length <= whole - 100_000)
        var parts = Self.attachments(one.json)
        #expect(parts[0]["content_base64"] is NSNull)
        #expect((parts[0]["url"] as? String)?.hasPrefix("\(Self.base)/api/v1/attachments/cdl_") == true)
        #expect(parts[1]["url"] == nil && parts[2]["url"] == nil)
        #expect(one.json["truncated"] == nil)
        // Past the largest, the 60 KB one (index 2) goes next, then the 30 KB one.
        let two = try Self.body(raw, limit: whole - 150_000, in: f)
        parts = Self.attachments(two.json)
        #expect(parts.map { $0["url"] != nil } == [true, false, true])
        // At 65,536 the two largest are enough: the 30 KB one stays inline.
        let fits = try Self.body(raw, limit: 65_536, in: f)
        parts = Self.attachments(fits.json)
        #expect(parts.map { $0["url"] != nil } == [true, false, true])
        #expect(fits.length <= 65_536)
        #expect(fits.json["text"] as? String == "Hello \"there\"")
        #expect(fits.json["truncated"] == nil)
        // Then all three, and each URL's token is its own.
        let all = try Self.body(Self.message(sizes: [90_000, 70_000, 60_000]), limit: 65_536, in: f)
        parts = Self.attachments(all.json)
        #expect(parts.map { $0["url"] != nil } == [true, true, true])
        #expect(Set(parts.compactMap { $0["url"] as? String }).count == 3)
    }

    @Test func thePlanPredictsTheExactLength() throws {
        let f = try Fixture()
        let text = String(repeating: "line \"quoted\" \\ tab\t é ✓ 🚀\u{2028}\u{1}\n", count: 4000)
        let raw = Self.message(text: text, html: "<p>" + String(repeating: "ü<b>x</b>", count: 9000) + "</p>")
        for limit in [65_536, 70_000, 100_000, 150_000, 200_000, 400_000] {
            let id = try f.spool(raw)
            let parsed = raw.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }
            let payload = WebhookPayload(message: parsed, context: PayloadStreamTests.context)
            let segments = PayloadStream.layout(payload)
            let measure = PayloadFit.Measure(
                length: PayloadStream.length(of: segments, payload), attachmentSizes: parsed.attachments.map(\.size), rawSize: nil,
                text: parsed.text, html: parsed.html, replyText: parsed.text.map(ReplyText.extract)
            )
            let fit = try #require(try PayloadFit.plan(measure, limit: limit, linkBase: Self.base))
            let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: PayloadStreamTests.context,
                                                                   sizing: PayloadSizing(limit: limit, linkBase: Self.base)))
            let bytes = try stream.collect()
            #expect(bytes.count == fit.length, "limit \(limit)")
            #expect(bytes.count <= limit, "limit \(limit)")
            #expect(bytes.count > limit - 64, "limit \(limit): the cut leaves no more room than a scalar's escape")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            #expect(json["truncated"] as? Bool == true)
            #expect(Self.attachments(json).allSatisfy { $0["url"] is String })
            // A prefix of the original, cut between scalars.
            let cutText = try #require(json["text"] as? String)
            #expect(text.unicodeScalars.starts(with: cutText.unicodeScalars))
            #expect(cutText.unicodeScalars.count < text.unicodeScalars.count)
        }
    }

    @Test func jsonRawGivesUpItsRawBase64First() async throws {
        let f = try Fixture()
        let raw = Self.message(text: String(repeating: "words ", count: 1_000), sizes: [30_000, 20_000])
        let id = try f.spool(raw)
        func open(_ limit: Int) throws -> [UInt8] {
            let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: PayloadStreamTests.context, format: .jsonRaw,
                                                                   sizing: PayloadSizing(limit: limit, linkBase: Self.base)))
            return try stream.collect()
        }
        let whole = try open(Int.max)
        // The raw message (~68 KB of base64) goes first: the attachments stay inline.
        let first = try open(whole.count - 1)
        #expect(first.count <= whole.count - 1)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(first)) as? [String: Any])
        #expect(json["raw_base64"] == nil)
        let url = try #require(json["raw_url"] as? String)
        #expect(url.hasPrefix("\(Self.base)/api/v1/messages/cdl_") && url.hasSuffix("/raw"))
        #expect(Self.attachments(json).allSatisfy { $0["content_base64"] is String })
        // The member order: …,"size":N,"raw_url":"…"} — and a raw link serves the message.
        #expect(String(decoding: first, as: UTF8.self).hasSuffix(#","raw_url":"\#(url)"}"#))
        let token = String(url.split(separator: "/").dropLast().last!)
        let content = try #require(try await PayloadLinkServer(store: f.store).open(token: token, kind: .rawMessage))
        #expect(try await PayloadLinkTests.read(content) == raw)
        // Then attachments, then texts; truncated is the last member.
        let cut = try open(6_000)
        json = try #require(try JSONSerialization.jsonObject(with: Data(cut)) as? [String: Any])
        #expect(cut.count <= 6_000 && cut.count > 6_000 - 64)
        #expect(json["raw_url"] is String && json["truncated"] as? Bool == true)
        #expect(Self.attachments(json).allSatisfy { $0["url"] is String })
        #expect(String(decoding: cut, as: UTF8.self).hasSuffix(#"/raw","truncated":true}"#))
    }

    @Test func textsGetFairSharesOfWhatIsLeft() {
        #expect(PayloadFit.fairShares([10, 1000, 1000], budget: 610) == [10, 300, 300])
        #expect(PayloadFit.fairShares([10, 20, 30], budget: 100) == [10, 20, 30])
        #expect(PayloadFit.fairShares([0, 500, 100], budget: 300) == [0, 200, 100])
        #expect(PayloadFit.fairShares([5, 5], budget: -3) == [0, 0])
    }

    @Test func cutsAreMeasuredAfterEscapingAndEndBetweenScalars() {
        #expect(JSONEscaping.escapedBytes("a\"b\\c\n\t") == 11)
        #expect(JSONEscaping.escapedBytes("\u{1}\u{7F}\u{2028}") == 18)
        #expect(JSONEscaping.escapedBytes("é✓🚀") == 9)
        // "é" is 2 bytes; a budget of 3 cannot take half of "✓" (3 bytes).
        #expect(JSONEscaping.prefix(of: "é✓🚀", escapedBytes: 4) == (2, 2))
        #expect(JSONEscaping.prefix(of: "é✓🚀", escapedBytes: 5) == (5, 5))
        // `\n` takes 2 escaped bytes for 1 UTF-8 byte.
        #expect(JSONEscaping.prefix(of: "a\nb", escapedBytes: 2) == (1, 1))
        #expect(JSONEscaping.prefix(of: "a\nb", escapedBytes: 3) == (2, 3))
        var escaped: [UInt8] = []
        JSONValue.writeString("x\"\u{2029}\u{0}é\r", to: &escaped)
        #expect(escaped.count - 2 == JSONEscaping.escapedBytes("x\"\u{2029}\u{0}é\r"))
    }

    @Test func attachmentsShorterThanALinkStayInline() throws {
        let f = try Fixture()
        let raw = Self.message(text: String(repeating: "t", count: 100_000), sizes: [20, 90_000])
        let cut = try Self.body(raw, limit: 65_536, in: f)
        let parts = Self.attachments(cut.json)
        #expect(parts[0]["content_base64"] as? String == Data((0..<20).map { UInt8(truncatingIfNeeded: $0 &* 31) }).base64EncodedString())
        #expect(parts[1]["url"] is String)
        #expect(cut.json["truncated"] as? Bool == true)
        #expect(cut.length <= 65_536)
    }

    @Test func headersTooLongForTheLimitFailTheAttemptForGood() throws {
        let f = try Fixture()
        var raw = Array("From: a@example.org\r\nTo: b@x.example\r\n".utf8)
        for index in 0..<200 { raw += Array("X-Filler-\(index): \(String(repeating: "h", count: 500))\r\n".utf8) }
        raw += Array("\r\nbody\r\n".utf8)
        let id = try f.spool(raw)
        #expect(throws: PayloadTooLarge.self) {
            _ = try PayloadStream.open(store: f.store, messageID: id, context: PayloadStreamTests.context,
                                       sizing: PayloadSizing(limit: 65_536, linkBase: Self.base))
        }
    }
}
