import ConduitCore
import ConduitMIME
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// The streamed default payload is byte for byte the payload rendered in
/// memory — for every golden message, a generated message with large
/// attachments in each transfer encoding, and any chunk size — and its
/// signature is the signature of those bytes. Over a real LMDB store.
@Suite struct PayloadStreamTests {
    final class Fixture {
        let directory: String
        let store: Store

        init() throws {
            var template = Array("/tmp/conduit-stream-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(path: directory, mapSizeBytes: 64 << 20,
                              schema: Schema(version: 1, records: Spool.recordTypes, rawDatabases: Spool.rawDatabases))
        }

        /// Puts `body` into the spool; returns its id.
        func spool(_ body: [UInt8]) throws -> String {
            let id = Identifier.generate().rawValue
            let message = SpooledMessage(id: id, receivedAt: Date(), mailFrom: "s@example.org", remoteIP: "192.0.2.1", helo: "c",
                                         tls: false, authUser: nil, spf: nil, dkim: [], size: body.count, recipients: [])
            try store.write { try $0.insert(SpoolEntry(message: message, body: body, deliveries: [])) }
            return id
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("ConduitMIMETests/Golden")

    static var goldenMessages: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: goldenDirectory.path)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
    }

    static let context = PayloadContext(
        id: "01abc", webhookID: "w1", receivedAt: Date(timeIntervalSince1970: 1_700_000_000), mailFrom: "s@example.org",
        rcptTo: "r+t@x.example", remoteIP: "192.0.2.1", helo: "c.example", tls: true, authUser: nil,
        spf: SpooledSPF(result: "pass", domain: "example.org"), dkim: [SpooledDKIM(domain: "example.org", selector: "s", result: "pass")], tag: "t",
        dmarc: SpooledDMARC(result: "fail", domain: "example.org", policy: "quarantine", spfAligned: false, dkimAligned: false,
                            organizationalDomain: "example.org"),
        arc: SpooledARC(result: "fail", instances: 3), authservID: "mx.conduit.test"
    )

    /// A message with a text and an HTML body and attachments in base64
    /// (wrapped at 76), quoted-printable, 8bit, and an empty one.
    static func generated(seed: UInt64) -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        _ = seed
        let binary = (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let encoded = Data(binary).base64EncodedString(options: .lineLength76Characters)
        let qp = (0..<5000).map { "line \($0) caf=C3=A9 =\r\n" }.joined()
        var text = "From: a@example.org\r\nTo: b@x.example\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n"
        text += "--BB\r\nContent-Type: text/plain\r\n\r\nHello \"there\"\r\n"
        text += "--BB\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n"
        text += "--BB\r\nContent-Type: application/octet-stream; name=\"r.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\(encoded)\r\n"
        text += "--BB\r\nContent-Type: text/csv; name=q.csv\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\(qp)\r\n"
        text += "--BB\r\nContent-Type: application/x-raw\r\nContent-Transfer-Encoding: 8bit\r\n\r\nraw \u{E9} bytes\r\n"
        text += "--BB\r\nContent-Type: application/x-empty\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        text += "--BB--\r\n"
        return Array(text.utf8)
    }

    static func check(_ body: [UInt8], in f: Fixture, chunkSizes: [Int]) throws {
        let id = try f.spool(body)
        let expected = Array(WebhookPayload.payloadJSON(message: MIMEParser.parse(body), context: context).serialized().utf8)
        for chunkBytes in chunkSizes {
            let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: context, chunkBytes: chunkBytes))
            var cursor = stream.makeCursor()
            var streamed: [UInt8] = []
            var chunks = 0
            while let chunk = try stream.next(&cursor) {
                #expect(chunk.count <= max(16, chunkBytes) + 4)
                streamed += chunk
                chunks += 1
            }
            #expect(streamed == expected, "chunk size \(chunkBytes)")
            let key = Array("0123456789abcdef0123".utf8)
            let (signature, length) = try stream.signature(keys: .init(current: key), id: "d1", timestamp: 1_700_000_000)
            #expect(length == expected.count)
            #expect(signature == WebhookSignature.sign(key: key, id: "d1", timestamp: 1_700_000_000, body: expected))
            // A body of one chunk comes back from the signing pass, to be sent as bytes.
            let signed = try stream.sign(keys: .init(current: key), id: "d1", timestamp: 1_700_000_000)
            #expect(signed.signature == signature && signed.length == length)
            #expect(signed.whole == (chunks == 1 ? expected : nil))
            // During a rotation the one pass signs with both keys, as signing in memory does.
            let keys = WebhookSignature.Keys(current: key, previous: Array("an older key of 24 bytes".utf8))
            let both = try stream.sign(keys: keys, id: "d1", timestamp: 1_700_000_000)
            #expect(both.signature == WebhookSignature.sign(keys: keys, id: "d1", timestamp: 1_700_000_000, body: expected))
            #expect(both.signature.hasPrefix(signature + " v1,") && both.length == length)
        }
    }

    @Test func goldenMessagesExist() {
        #expect(Self.goldenMessages.count >= 12)
    }

    @Test(arguments: goldenMessages)
    func goldenMessageStreamsToTheSameBytes(_ name: String) throws {
        let f = try Fixture()
        let body = [UInt8](try Data(contentsOf: Self.goldenDirectory.appendingPathComponent(name)))
        try Self.check(body, in: f, chunkSizes: [16, 17, 100, 4096, PayloadStream.defaultChunkBytes])
    }

    @Test func largeAttachmentsInEveryEncodingStreamToTheSameBytes() throws {
        let f = try Fixture()
        try Self.check(Self.generated(seed: 1), in: f, chunkSizes: [1000, 4099, PayloadStream.defaultChunkBytes])
    }

    @Test func aMessageThatLeavesTheSpoolEndsTheStream() throws {
        let f = try Fixture()
        let id = try f.spool(Self.generated(seed: 2))
        let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: Self.context, chunkBytes: 1024))
        var cursor = stream.makeCursor()
        _ = try stream.next(&cursor)
        try f.store.write { txn in _ = try txn.removeSpooledMessage(id: id) }
        #expect(throws: PayloadStreamError.self) {
            while try stream.next(&cursor) != nil {}
        }
    }
}
