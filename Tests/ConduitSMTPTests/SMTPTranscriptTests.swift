import Foundation
import Testing
@testable import ConduitSMTP

/// Golden transcripts (the Postfix way): each file under Transcripts/ is a
/// dialogue. `C:` lines are fed to the session (with `\n`, `\r`, `\0`
/// escapes; `C! too-long` stands for an over-long line), `S:` lines are the
/// exact replies expected, and `[closed]` marks where the server hangs up.
@Suite struct SMTPTranscriptTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test func transcriptsExist() {
        #expect(Self.files.count >= 5)
    }

    @Test(arguments: files)
    func transcript(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        var session = SMTPSession(settings: .init(hostname: "mx.test", maxMessageBytes: 1_000_000, maxErrors: 5))
        var actual: [String] = session.greeting().wire.split(separator: "\r\n").map { "S: \($0)" }
        var expected: [String] = []
        var closed = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("#") || line.isEmpty { continue }
            expected.append(line)
            guard line.hasPrefix("C") else { continue }
            actual.append(line)
            guard !closed else { actual.append("(input after close)"); continue }
            let input: SMTPInbound = line.hasPrefix("C! ") ? .lineTooLong : .line(Self.unescape(String(line.dropFirst(3))))
            let reply: SMTPReply
            switch session.receive(input) {
            case let .reply(r): reply = r
            case let .replyAndClose(r): reply = r; closed = true
            }
            actual += reply.wire.split(separator: "\r\n").map { "S: \($0)" }
            if closed { actual.append("[closed]") }
        }
        #expect(actual == expected, "transcript \(name)")
    }

    static func unescape(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var iterator = Array(s.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            switch iterator.next() {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "0"): out.append(0x00)
            case let other?: out += [byte, other]
            case nil: out.append(byte)
            }
        }
        return out
    }
}
