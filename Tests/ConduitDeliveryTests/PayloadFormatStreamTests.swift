import ConduitCore
import ConduitMIME
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// The bodies of the `json_raw` and `raw` formats (docs/DELIVERY.md,
/// "Payload formats") as `PayloadStream` makes them over a real LMDB store:
/// `raw_base64` decodes to the spooled bytes exactly (any length, 8-bit
/// bytes, several MiB a chunk at a time), the members before it are the
/// `json` body's, and `raw` is the spooled message itself; both signed
/// over the bytes streamed.
@Suite struct PayloadFormatStreamTests {
    typealias Fixture = PayloadStreamTests.Fixture
    static let context = PayloadStreamTests.context
    static let key = Array("0123456789abcdef0123".utf8)

    /// Every chunk of `stream` in order, each checked against the chunk bound.
    static func chunks(of stream: PayloadStream, chunkBytes: Int) throws -> [[UInt8]] {
        var cursor = stream.makeCursor()
        var chunks: [[UInt8]] = []
        while let chunk = try stream.next(&cursor) {
            #expect(chunk.count <= max(16, chunkBytes) + 4, "chunk of \(chunk.count) bytes at chunk size \(chunkBytes)")
            chunks.append(chunk)
        }
        return chunks
    }

    /// The `json_raw` stream of `body` at each chunk size: the `json` body's
    /// members, then `raw_base64` (the last member) decoding to `body`; the
    /// same bytes as the in-memory body, and signed over them.
    static func checkJSONRaw(_ body: [UInt8], in f: Fixture, chunkSizes: [Int]) throws {
        let id = try f.spool(body)
        let json = Array(WebhookPayload.payloadJSON(message: MIMEParser.parse(body), context: context).serialized().utf8)
        let inMemory = WebhookPayload(message: MIMEParser.parse(body), context: context).compactJSON(rawMessage: body)
        for chunkBytes in chunkSizes {
            let (stream, _) = try #require(try PayloadStream.open(
                store: f.store, messageID: id, context: context, format: .jsonRaw, chunkBytes: chunkBytes
            ))
            let streamed = try chunks(of: stream, chunkBytes: chunkBytes).flatMap { $0 }
            #expect(streamed == inMemory, "chunk size \(chunkBytes)")
            // `{…,"size":N` as in the json body, then the new member and `}`.
            let prefix = Array(json.dropLast()) + Array(#","raw_base64":""#.utf8)
            #expect(Array(streamed.prefix(prefix.count)) == prefix)
            #expect(Array(streamed.suffix(2)) == Array(#""}"#.utf8))
            let text = String(decoding: streamed[prefix.count..<(streamed.count - 2)], as: UTF8.self)
            #expect(!text.contains("\n") && !text.contains("\r"))
            #expect(Data(base64Encoded: text).map(Array.init) == body, "chunk size \(chunkBytes)")
            // Foundation reads it as JSON with the member present.
            let object = try #require(try JSONSerialization.jsonObject(with: Data(streamed)) as? [String: Any])
            #expect(object["raw_base64"] as? String == text && object["size"] as? Int == body.count)
            let (signature, length) = try stream.signature(keys: .init(current: key), id: "d1", timestamp: 1_700_000_000)
            #expect(length == streamed.count)
            #expect(signature == WebhookSignature.sign(key: key, id: "d1", timestamp: 1_700_000_000, body: streamed))
        }
    }

    /// 8-bit bytes, every byte value, in a body with a header block.
    static func eightBit(length: Int) -> [UInt8] {
        let head = Array("Subject: 8bit\r\nContent-Type: text/plain; charset=latin1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".utf8)
        return head + (0..<max(0, length - head.count)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 0x80) }
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 91, 92, 93, 94, 300, 4097])
    func rawBase64DecodesToTheExactBodyAtAnyLength(_ extra: Int) throws {
        let f = try Fixture()
        let body = Array("Subject: n\r\n\r\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: extra)
        try Self.checkJSONRaw(body, in: f, chunkSizes: [16, 17, 18, 19, 100, 4096, PayloadStream.defaultChunkBytes])
    }

    @Test func rawBase64CarriesEightBitBytes() throws {
        let f = try Fixture()
        // 1,000 and 1,001 bytes: neither a multiple of 3.
        for length in [1000, 1001] {
            try Self.checkJSONRaw(Self.eightBit(length: length), in: f, chunkSizes: [16, 100, 1000, PayloadStream.defaultChunkBytes])
        }
    }

    @Test func rawBase64OfAMessageWithAttachmentsKeepsTheAttachments() throws {
        let f = try Fixture()
        try Self.checkJSONRaw(PayloadStreamTests.generated(seed: 3), in: f, chunkSizes: [1000, PayloadStream.defaultChunkBytes])
    }

    /// Several MiB go out in bounded chunks: many of them, none over the
    /// bound, and their text joins into the base64 of the whole message.
    @Test func aMultiMebibyteBodyStreamsInChunks() throws {
        let f = try Fixture()
        var random = SystemRandomNumberGenerator()
        let body = Array("Subject: big\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            + (0..<(3 << 20) + 1).map { _ in UInt8.random(in: 0...255, using: &random) }
        let id = try f.spool(body)
        for format in [Webhook.PayloadFormat.jsonRaw, .raw] {
            let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: Self.context, format: format))
            let chunks = try Self.chunks(of: stream, chunkBytes: PayloadStream.defaultChunkBytes)
            #expect(chunks.count > (format == .raw ? 48 : 64))
            let streamed = chunks.flatMap { $0 }
            if format == .raw {
                #expect(streamed == body)
            } else {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(streamed)) as? [String: Any])
                let text = try #require(object["raw_base64"] as? String)
                #expect(Data(base64Encoded: text).map(Array.init) == body)
            }
            let signed = try stream.sign(keys: .init(current: Self.key), id: "d1", timestamp: 1)
            #expect(signed.whole == nil && signed.length == streamed.count)
            #expect(signed.signature == WebhookSignature.sign(key: Self.key, id: "d1", timestamp: 1, body: streamed))
        }
    }

    @Test func theRawFormatIsTheSpooledMessageItself() throws {
        let f = try Fixture()
        for body in [Self.eightBit(length: 1001), PayloadStreamTests.generated(seed: 4), Array("Message-ID: <m1@x>\r\n\r\n".utf8)] {
            let id = try f.spool(body)
            for chunkBytes in [16, 1000, PayloadStream.defaultChunkBytes] {
                let (stream, messageIDHeader) = try #require(try PayloadStream.open(
                    store: f.store, messageID: id, context: Self.context, format: .raw, chunkBytes: chunkBytes
                ))
                #expect(messageIDHeader == MIMEParser.parse(body).messageID)
                let streamed = try Self.chunks(of: stream, chunkBytes: chunkBytes).flatMap { $0 }
                #expect(streamed == body, "chunk size \(chunkBytes)")
                let signed = try stream.sign(keys: .init(current: Self.key), id: "d1", timestamp: 1_700_000_000)
                #expect(signed.signature == WebhookSignature.sign(key: Self.key, id: "d1", timestamp: 1_700_000_000, body: body))
                #expect(signed.length == body.count && signed.whole == (body.count <= chunkBytes ? body : nil))
            }
        }
    }

    @Test func theMessageIDIsReadFromTheHeaderBlockAlone() throws {
        let id = Array("Subject: a\r\nmessage-id:  <abc@example.org>\r\n\r\nMessage-ID: <not@body>\r\n".utf8)
        #expect(id.withUnsafeBytes { MIMEParser.messageID(buffer: $0) } == "<abc@example.org>")
        #expect(Array("Subject: a\r\n\r\n".utf8).withUnsafeBytes { MIMEParser.messageID(buffer: $0) } == nil)
    }

    @Test func aMessageThatLeavesTheSpoolEndsTheRawStream() throws {
        let f = try Fixture()
        for format in [Webhook.PayloadFormat.jsonRaw, .raw] {
            let id = try f.spool(Self.eightBit(length: 10_000))
            let (stream, _) = try #require(try PayloadStream.open(
                store: f.store, messageID: id, context: Self.context, format: format, chunkBytes: 1024
            ))
            var cursor = stream.makeCursor()
            _ = try stream.next(&cursor)
            try f.store.write { txn in _ = try txn.removeSpooledMessage(id: id) }
            #expect(throws: PayloadStreamError.self) {
                while try stream.next(&cursor) != nil {}
            }
        }
    }
}
