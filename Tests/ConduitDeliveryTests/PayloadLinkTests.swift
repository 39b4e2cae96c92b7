import ConduitCore
import ConduitMIME
import ConduitStore
import ConduitWebhooks
import Foundation
import Testing
@testable import ConduitDelivery

/// The links of cut payloads over a real LMDB store: minted tokens are
/// stored only as hashes, serve the attachment's decoded bytes or the raw
/// message, and answer nothing (404) when unknown, malformed, of the other
/// kind, or once the message has left the spool.
@Suite struct PayloadLinkTests {
    typealias Fixture = PayloadStreamTests.Fixture

    static func read(_ content: LinkedContent) async throws -> [UInt8] {
        var all: [UInt8] = []
        while let chunk = try await content.chunks.next() { all += chunk }
        return all
    }

    /// The cut body for `raw` at 65536 and its message id.
    static func cut(_ raw: [UInt8], in f: Fixture) throws -> (id: String, json: [String: Any]) {
        let id = try f.spool(raw)
        let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: PayloadStreamTests.context,
                                                               sizing: PayloadSizing(limit: 65_536, linkBase: "http://h")))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try stream.collect())) as? [String: Any])
        return (id, json)
    }

    static func token(of url: String) -> String {
        String(url.split(separator: "/").last!)
    }

    @Test func aLinkServesTheAttachmentsDecodedBytes() async throws {
        let f = try Fixture()
        let raw = PayloadFitTests.message(text: "x", html: "y", sizes: [200_000, 70_000])
        let (_, json) = try Self.cut(raw, in: f)
        let parsed = MIMEParser.parse(raw)
        let server = PayloadLinkServer(store: f.store)
        let urls = PayloadFitTests.attachments(json).map { $0["url"] as? String }
        #expect(urls.allSatisfy { $0 != nil })
        for (index, url) in urls.enumerated() {
            let token = Self.token(of: try #require(url))
            #expect(token.hasPrefix("cdl_") && token.count == 47)
            let content = try #require(try await server.open(token: token, kind: .attachment))
            #expect(content.contentType == "application/octet-stream")
            #expect(content.filename == "a\(index).bin")
            #expect(content.length == parsed.attachments[index].size)
            #expect(try await Self.read(content) == parsed.attachments[index].content)
            // Not a raw-message link.
            #expect(try await server.open(token: token, kind: .rawMessage) == nil)
        }
        // Only hashes are stored: no record holds a token.
        let stored = try f.store.read { try $0.scan(PayloadLink.self, newestFirst: false, after: nil, limit: 100) }
        #expect(stored.count == 2)
        for url in urls.compactMap({ $0 }) {
            #expect(stored.contains { $0.id == SecretToken.hash(Self.token(of: url)) })
        }
    }

    @Test func linksDecodeEveryTransferEncoding() async throws {
        let f = try Fixture()
        // Wrapped base64, quoted-printable, 8bit, empty (PayloadStreamTests' message).
        let raw = PayloadStreamTests.generated(seed: 1)
        let id = try f.spool(raw)
        let (stream, _) = try #require(try PayloadStream.open(store: f.store, messageID: id, context: PayloadStreamTests.context,
                                                               sizing: PayloadSizing(limit: 65_536, linkBase: "http://h")))
        let body = try stream.collect()
        #expect(body.count <= 65_536)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let decoded = MIMEParser.parse(raw).attachments
        let server = PayloadLinkServer(store: f.store)
        var linked = 0
        for (index, part) in PayloadFitTests.attachments(json).enumerated() {
            guard let url = part["url"] as? String else {
                #expect(part["content_base64"] as? String == Data(decoded[index].content).base64EncodedString())
                continue
            }
            linked += 1
            let content = try #require(try await server.open(token: Self.token(of: url), kind: .attachment))
            #expect(content.length == decoded[index].content.count)
            #expect(try await Self.read(content) == decoded[index].content, "attachment \(index)")
        }
        #expect(linked >= 2)
    }

    @Test func aRawLinkServesTheMessage() async throws {
        let f = try Fixture()
        let raw = PayloadFitTests.message(sizes: [100_000])
        let id = try f.spool(raw)
        let token = SecretToken.generate(prefix: PayloadLink.tokenPrefix)
        try f.store.write { try $0.insert(links: [.rawMessage(id: SecretToken.hash(token), messageID: id, messageSize: raw.count, createdAt: Date())]) }
        let server = PayloadLinkServer(store: f.store)
        let content = try #require(try await server.open(token: token, kind: .rawMessage))
        #expect(content.contentType == "message/rfc822")
        #expect(content.length == raw.count)
        #expect(try await Self.read(content) == raw)
        #expect(try await server.open(token: token, kind: .attachment) == nil)
    }

    @Test func unknownMalformedAndGoneLinksAreNotFound() async throws {
        let f = try Fixture()
        let (id, json) = try Self.cut(PayloadFitTests.message(sizes: [100_000]), in: f)
        let server = PayloadLinkServer(store: f.store)
        let token = Self.token(of: try #require(PayloadFitTests.attachments(json)[0]["url"] as? String))
        #expect(try await server.open(token: token, kind: .attachment) != nil)
        #expect(try await server.open(token: SecretToken.generate(prefix: PayloadLink.tokenPrefix), kind: .attachment) == nil)
        for malformed in ["", "cdl_", "cdl_short", token + "x", "cda_" + token.dropFirst(4), String(token.dropLast()) + "%", "../../etc/passwd"] {
            #expect(try await server.open(token: malformed, kind: .attachment) == nil)
        }
        // The message leaves the spool: its links go in the same transaction.
        try f.store.write { _ = try $0.removeSpooledMessage(id: id) }
        #expect(try await server.open(token: token, kind: .attachment) == nil)
        #expect(try f.store.read { try $0.list(PayloadLink.self, index: .byMessage, key: id) }.isEmpty)
    }
}
