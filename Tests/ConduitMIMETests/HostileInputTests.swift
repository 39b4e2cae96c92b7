import ConduitDelivery
import ConduitMIME
import Foundation
import Testing

/// Inputs too big to keep as files, made here; their payloads are golden
/// files too (Golden/generated-*.json). Each must finish quickly, within
/// the limits, without a crash.
@Suite struct HostileInputTests {
    /// 10000 nested multiparts, each opening the next; never closed.
    static func deepNesting() -> [UInt8] {
        var text = "From: a@example.com\r\nSubject: deep\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n"
        for level in 1...10_000 {
            text += "--b\(level - 1)\r\nContent-Type: multipart/mixed; boundary=b\(level)\r\n\r\n"
        }
        text += "--b10000\r\nContent-Type: text/plain\r\n\r\nbottom\r\n"
        return Array(text.utf8)
    }

    /// One header line of 1 MiB, then a normal body.
    static func hugeHeader() -> [UInt8] {
        Array(("From: a@example.com\r\nX-Huge: " + String(repeating: "x", count: 1 << 20) + "\r\nSubject: after the huge one\r\n\r\nbody\r\n").utf8)
    }

    /// 5000 empty parts.
    static func manyParts() -> [UInt8] {
        var text = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n"
        for _ in 0..<5000 { text += "--p\r\n\r\n" }
        return Array((text + "--p--\r\n").utf8)
    }

    /// 5000 header fields.
    static func manyHeaders() -> [UInt8] {
        Array(((0..<5000).map { "X-H\($0): v\r\n" }.joined() + "Subject: s\r\n\r\nbody\r\n").utf8)
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        ("generated-deep-nesting", deepNesting()),
        ("generated-huge-header", hugeHeader()),
        ("generated-many-parts", manyParts()),
        ("generated-many-headers", manyHeaders()),
    ])
    func hostile(_ name: String, _ bytes: [UInt8]) throws {
        try GoldenFiles.check(GoldenFiles.payload(bytes, summarized: true), against: name + ".json")
    }

    @Test func deepNestingStopsAtTheDepthLimit() {
        let message = MIMEParser.parse(Self.deepNesting())
        #expect(message.defects.contains { $0.hasPrefix("multipart nested deeper than 20") })
        #expect(message.text == nil)
        #expect(message.attachments.count == 1)
        #expect(message.attachments.first?.contentType == "multipart/mixed")
    }

    @Test func hugeHeaderIsSkippedButTheRestIsRead() {
        let message = MIMEParser.parse(Self.hugeHeader())
        #expect(message.headers.map(\.name) == ["From", "Subject"])
        #expect(message.text == "body\n")
        #expect(message.defects.contains { $0.hasPrefix("header fields over") })
    }

    @Test func partCountIsBounded() {
        let message = MIMEParser.parse(Self.manyParts())
        #expect(message.attachments.count < 1000)
        #expect(message.defects.contains { $0.hasPrefix("more than 1000 parts") })
    }

    @Test func headerCountIsBounded() {
        let message = MIMEParser.parse(Self.manyHeaders())
        #expect(message.headers.count == 1000)
        #expect(message.subject == nil)
    }

    @Test func smallLimitsApply() {
        let limits = MIMELimits(maxDepth: 1, maxParts: 3, maxHeaderBytes: 64, maxHeaderCount: 2)
        let message = MIMEParser.parse(Array("A: 1\r\nB: 2\r\nC: 3\r\n\r\nx".utf8), limits: limits)
        #expect(message.headers.count == 2)
    }

    /// Random bytes and random mutilations of the golden messages never
    /// crash the parser. Seeded: `CONDUIT_FUZZ_SEED` replays one run,
    /// `CONDUIT_FUZZ_ROUNDS` runs longer; the seed is in the failure message.
    @Test func randomInputNeverCrashes() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["CONDUIT_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0...UInt64.max)
        let rounds = environment["CONDUIT_FUZZ_ROUNDS"].flatMap { Int($0) } ?? 300
        let trace = environment["CONDUIT_FUZZ_TRACE"]
        var generator = SeededRandom(seed: seed)
        let names = GoldenTests.messages
        for round in 0..<rounds {
            var bytes: [UInt8]
            if round % 2 == 0, let name = names.randomElement(using: &generator) {
                bytes = [UInt8](try Data(contentsOf: GoldenFiles.directory.appendingPathComponent(name)))
                for _ in 0..<8 where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            } else {
                let alphabet = Array("\r\n-=?:;\"<>@ abcQB=_*'%(".utf8)
                bytes = (0..<Int.random(in: 0..<2000, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            }
            // A crash kills the process before any report: leave the input behind.
            if let trace { try Data(bytes).write(to: URL(fileURLWithPath: trace)) }
            let message = MIMEParser.parse(bytes)
            _ = WebhookPayload.payloadJSON(message: message).serialized()
            #expect(message.size == bytes.count, "seed \(seed), round \(round)")
        }
    }
}

extension HostileInputTests {
    /// Patterns that make naive scanners quadratic, at the header size limit:
    /// quadratic over 200,000 characters is hours, linear is milliseconds,
    /// so the time limit tells them apart on any machine, loaded or not.
    /// (No per-pattern bound: those measured the load as much as the parser.)
    @Test(.timeLimit(.minutes(3))) func pathologicalHeadersStayFast() {
        for value in [
            String(repeating: "=?a?q? ", count: 36_000),
            String(repeating: "(", count: 200_000) + ")",
            String(repeating: "=?utf-8?q?=?", count: 20_000),
            String(repeating: "a\"(", count: 80_000),
        ] {
            let bytes = Array(("From: \(value)\r\nTo: \(value)\r\nSubject: \(value)\r\nContent-Type: text/plain; \(value)\r\n\r\nx").utf8)
            _ = WebhookPayload.payloadJSON(message: MIMEParser.parse(bytes)).serialized()
        }
    }
}
