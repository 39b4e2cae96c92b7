import ConduitCore
import ConduitDelivery
import ConduitMIME
import Foundation
import Testing

/// The default body is written straight into bytes (`compactJSON`, which
/// `PayloadStream` shares); templates and the golden files see the
/// `JSONValue` tree. Both must give the same bytes, for every message and
/// every context.
@Suite struct PayloadWriterTests {
    static let contexts: [PayloadContext] = [
        PayloadContext(),
        PayloadContext(
            id: "01m94s3r5p9yd0nr4mtts79xtc", webhookID: "01m94s3r4q69m7sna0bsnzh9ny",
            receivedAt: Date(timeIntervalSince1970: 1_796_540_400), mailFrom: "", rcptTo: "a+tag@example.com",
            remoteIP: "2001:db8::1", helo: "mail.example.org", tls: true, authUser: "user \"q\"",
            spf: .init(result: "pass", domain: nil),
            dkim: [.init(domain: "example.org", selector: "s1", result: "pass"), .init(domain: "x.test", selector: "s\u{2028}", result: "fail")],
            tag: "tag",
            dmarc: .init(result: "pass", domain: "example.org", policy: "reject", spfAligned: false, dkimAligned: true, organizationalDomain: nil),
            arc: .init(result: "pass", instances: 50), authservID: "mx\u{0}\"q\""
        ),
        PayloadContext(
            id: "a\u{0}b\u{1F}c\\", webhookID: "é😀", receivedAt: Date(timeIntervalSince1970: -62_200_000_000), mailFrom: "x@y",
            rcptTo: "r@y", remoteIP: "192.0.2.1", helo: "h", tls: false, spf: .init(result: "none", domain: "y"),
            dmarc: .init(result: "permerror", domain: "", policy: "none", spfAligned: false, dkimAligned: false, organizationalDomain: nil),
            arc: .init(result: "none", instances: 0), authservID: "mx.example"
        ),
        PayloadContext(receivedAt: Date(timeIntervalSince1970: -1)),
        PayloadContext(receivedAt: Date(timeIntervalSince1970: 253_402_300_800)),
    ]

    static func check(_ message: ParsedMessage, sourceLocation: SourceLocation = #_sourceLocation) {
        for context in contexts {
            let payload = WebhookPayload(message: message, context: context)
            let tree = Array(payload.jsonValue().serialized().utf8)
            #expect(payload.compactJSON() == tree, sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: GoldenTests.messages)
    func goldenMessages(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: GoldenFiles.directory.appendingPathComponent(name)))
        Self.check(MIMEParser.parse(bytes))
        // As delivery parses: attachments by reference (content_base64 is then empty in both).
        Self.check(bytes.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) })
    }

    @Test func generatedMessages() {
        for bytes in [HostileInputTests.deepNesting(), HostileInputTests.hugeHeader(), HostileInputTests.manyParts(), HostileInputTests.manyHeaders()] {
            Self.check(MIMEParser.parse(bytes))
        }
    }

    /// Numbers at the edges of `Int` and of the digit loop.
    @Test func integers() {
        for size in [0, 1, 9, 10, 99, 100, 1_048_576, -1, -10, Int.max, Int.min] {
            var message = MIMEParser.parse(Array("Subject: s\n\nbody".utf8))
            message.size = size
            var attachment = MessageAttachment(filename: nil, contentType: "application/octet-stream", contentID: nil, disposition: nil, content: [1, 2, 3, 4])
            attachment.size = size
            message.attachments = [attachment, MessageAttachment(filename: "ä\"b", contentType: "x/y", contentID: "<c>", disposition: "inline", content: [])]
            Self.check(message)
        }
    }

    /// Random and mutilated messages (the fuzz test's recipe), seeded.
    @Test func randomMessages() throws {
        let seed = ProcessInfo.processInfo.environment["CONDUIT_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        var generator = SeededRandom(seed: seed)
        let names = GoldenTests.messages
        for round in 0..<200 {
            var bytes: [UInt8]
            if round % 2 == 0, let name = names.randomElement(using: &generator) {
                bytes = [UInt8](try Data(contentsOf: GoldenFiles.directory.appendingPathComponent(name)))
                for _ in 0..<8 where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            } else {
                let alphabet = Array("\r\n-=?:;\"<>@ abcQB=_*'%(>".utf8) + [0xC3, 0xA9, 0xE2, 0x80, 0xA8, 0xCC, 0x81, 0x00, 0x7F]
                bytes = Array("Subject: x\r\nFrom: a@b\r\n\r\n".utf8)
                    + (0..<Int.random(in: 0..<2000, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            }
            let message = MIMEParser.parse(bytes)
            let payload = WebhookPayload(message: message, context: Self.contexts[1])
            #expect(payload.compactJSON() == Array(payload.jsonValue().serialized().utf8), "seed \(seed), round \(round)")
        }
    }
}
