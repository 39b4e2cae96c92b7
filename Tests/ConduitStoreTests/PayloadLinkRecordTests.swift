import ConduitCore
import Foundation
import Testing
@testable import ConduitStore

/// `payload_links` (schema 6): the layout reads back equal and refuses cut
/// bytes; lookups answer only while the message is spooled with the size
/// the link was made for; the links leave with the message.
@Suite struct PayloadLinkRecordTests {
    static let samples = [
        PayloadLink.rawMessage(id: String(repeating: "ab", count: 32), messageID: "m", messageSize: 0, createdAt: Date(timeIntervalSince1970: 0)),
        PayloadLink(id: "x", messageID: "ünïcode ✓", part: Int.max, messageSize: Int.max, contentType: "application/pdf", filename: "naïve \"q\".pdf",
                    size: 12_345, contentStart: 100, contentEnd: 20_000, transferEncoding: "base64", createdAt: Date(timeIntervalSince1970: 1_700_000_000)),
        PayloadLink(id: "y", messageID: "", part: 0, messageSize: 1, contentType: "", filename: nil, size: 0, contentStart: 0, contentEnd: 0,
                    transferEncoding: "", createdAt: Date(timeIntervalSince1970: -1)),
    ]

    static func link(_ id: String, part: Int, messageSize: Int) -> PayloadLink {
        PayloadLink(id: id, messageID: "m1", part: part, messageSize: messageSize, contentType: "text/plain", filename: nil, size: 1,
                    contentStart: 0, contentEnd: 1, transferEncoding: "", createdAt: Date())
    }

    @Test func theLayoutReadsBackAndRefusesCutBytes() throws {
        for link in Self.samples {
            let bytes = RecordCodec.encode(link)
            #expect(bytes[0] == 2 && bytes[1] == PayloadLink.layoutVersion)
            #expect(try RecordCodec.decode(PayloadLink.self, from: bytes) == link)
            for length in 0..<bytes.count {
                #expect(throws: StoreError.self) { _ = try RecordCodec.decode(PayloadLink.self, from: Array(bytes.prefix(length))) }
            }
        }
        let properties = Mirror(reflecting: Self.samples[0]).children.compactMap(\.label)
        #expect(properties == ["id", "messageID", "part", "messageSize", "contentType", "filename", "size", "contentStart", "contentEnd",
                               "transferEncoding", "createdAt"], "a property changed: update PayloadLinkRecords.swift")
    }

    @Test func aLinkAnswersOnlyWhileItsMessageIsSpooled() throws {
        let directory = TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try Store(path: directory.path, mapSizeBytes: 16 << 20, schema: spoolSchema)
        defer { store.close() }
        let body = Array("Subject: s\r\n\r\nbody\r\n".utf8)
        let message = SpooledMessage(id: "m1", receivedAt: Date(), mailFrom: "", remoteIP: "192.0.2.1", helo: "h", tls: false,
                                     authUser: nil, spf: nil, dkim: [], size: body.count, recipients: [])
        try store.write { try $0.insert(SpoolEntry(message: message, body: body, deliveries: [])) }
        let links = [
            Self.link("h1", part: 0, messageSize: body.count),
            Self.link("h2", part: 1, messageSize: body.count),
            Self.link("h3", part: 2, messageSize: body.count + 1),
        ]
        try store.write { try $0.insert(links: links) }
        try store.read { (txn: ReadTransaction) throws in
            #expect(try txn.payloadLink(tokenHash: "h1") == links[0])
            #expect(try txn.payloadLink(tokenHash: "h2") == links[1])
            // Made for a body of another size: not this message.
            #expect(try txn.payloadLink(tokenHash: "h3") == nil)
            #expect(try txn.payloadLink(tokenHash: "unknown") == nil)
        }
        try store.write { _ = try $0.removeSpooledMessage(id: "m1") }
        try store.read { (txn: ReadTransaction) throws in
            #expect(try txn.payloadLink(tokenHash: "h1") == nil)
            #expect(try txn.get(PayloadLink.self, id: "h1") == nil)
            #expect(try txn.list(PayloadLink.self, index: .byMessage, key: "m1").isEmpty)
        }
    }
}
