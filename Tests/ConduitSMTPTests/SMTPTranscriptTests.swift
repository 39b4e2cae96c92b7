import Foundation
import NIOCore
import Testing
@testable import ConduitSMTP

/// Golden transcripts (the Postfix way): each file under Transcripts/ is a
/// dialogue with the pure session and a scripted backend.
///
/// - `C: text` is a line fed to the session (escapes `\n`, `\r`, `\0`);
///   `C+ text` is a fragment of an over-long line.
/// - `S: text` is an exact reply line expected; `[closed]` marks a hang-up.
/// - `M: text` is a line of the message the backend received at DATA.
/// - `[tls]` completes a TLS handshake after STARTTLS (and checks that the
///   session tells the backend, which must forget AUTH too).
/// - `#! key=value …` sets: `size`, `rcpts`, `errors`, `tls`, `insecure-auth`.
///
/// The backend script: user `alice` with password `secret` authenticates;
/// sender local part `blocked` is refused; recipients whose local part
/// starts with `unknown` get 550, `later` gets 451, others 250; DATA
/// answers `250 2.0.0 OK queued as Q1`.
@Suite struct SMTPTranscriptTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Transcripts")

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".txt") }.sorted()
    }

    @Test func transcriptsExist() {
        #expect(Self.files.count >= 12)
    }

    @Test(arguments: files)
    func transcript(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var options: [String: String] = [:]
        for line in lines where line.hasPrefix("#! ") {
            for pair in line.dropFirst(3).split(separator: " ") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                options[String(kv[0])] = kv.count == 2 ? String(kv[1]) : "true"
            }
        }
        let settings = SMTPSession.Settings(
            hostname: "mx.test",
            maxMessageBytes: Int(options["size"] ?? "") ?? 1_000_000,
            maxRecipients: Int(options["rcpts"] ?? "") ?? 100,
            maxErrors: Int(options["errors"] ?? "") ?? 5,
            tlsAvailable: options["tls"] == "true",
            allowInsecureAuth: options["insecure-auth"] == "true",
            makeID: { "Q1" },
            now: { Date(timeIntervalSince1970: 1_795_000_000) }
        )
        var session = SMTPSession(settings: settings, connection: SMTPConnectionInfo(remoteIP: "192.0.2.7", remotePort: 40000))
        var actual: [String] = session.greeting().wire.split(separator: "\r\n").map { "S: \($0)" }
        var expected: [String] = []
        var closed = false
        for line in lines {
            if line.hasPrefix("#") || line.isEmpty { continue }
            expected.append(line)
            if line == "[tls]" {
                // The backend must hear of the TLS reset (it holds AUTH state
                // too) before the session takes input again.
                guard session.tlsEstablished() == .backend(.tlsStarted) else {
                    actual.append("(backend not told of TLS)")
                    continue
                }
                actual.append(line)
                if session.backendReplied(SMTPReply(220, "2.0.0", "TLS reset")) != .none { actual.append("(reply to a TLS reset)") }
                continue
            }
            guard line.hasPrefix("C") else { continue }
            actual.append(line)
            guard !closed else { actual.append("(input after close)"); continue }
            let bytes = Self.unescape(String(line.dropFirst(3)))
            let input: SMTPInbound = line.hasPrefix("C+ ") ? .fragment(ByteBuffer(bytes: bytes)) : .line(bytes: bytes)
            var action = session.receive(input)
            while case let .backend(call) = action {
                let (reply, message) = Self.script(call)
                if let message {
                    actual += String(decoding: message.content.inMemory.readableBytesView, as: UTF8.self)
                        .split(separator: "\r\n", omittingEmptySubsequences: false).dropLast()
                        .map { "M: " + Self.escape(String($0)) }
                }
                action = session.backendReplied(reply)
            }
            switch action {
            case .none, .backend: break
            case let .reply(r): actual += r.wire.split(separator: "\r\n").map { "S: \($0)" }
            case let .startTLS(r): actual += r.wire.split(separator: "\r\n").map { "S: \($0)" }
            case let .replyAndClose(r):
                actual += r.wire.split(separator: "\r\n").map { "S: \($0)" }
                closed = true
                actual.append("[closed]")
            }
        }
        #expect(actual == expected, "transcript \(name)")
    }

    static func script(_ call: SMTPSession.BackendCall) -> (SMTPReply, SMTPMessage?) {
        switch call {
        case let .authenticate(user, password):
            return user == "alice" && password == "secret"
                ? (SMTPReply(235, "2.7.0", "Authentication successful"), nil)
                : (SMTPReply(535, "5.7.8", "Authentication credentials invalid"), nil)
        case let .mail(sender, _, _):
            return sender?.localPart == "blocked"
                ? (SMTPReply(550, "5.7.1", "Sender rejected"), nil)
                : (SMTPReply(250, "2.1.0", "Sender OK"), nil)
        case let .rcpt(recipient):
            if recipient.localPart.hasPrefix("unknown") { return (SMTPReply(550, "5.1.1", "No such mailbox"), nil) }
            if recipient.localPart.hasPrefix("later") { return (SMTPReply(451, "4.7.24", "SPF temporary error"), nil) }
            return (SMTPReply(250, "2.1.5", "Recipient OK"), nil)
        case let .data(message):
            return (SMTPReply(250, "2.0.0", "OK queued as \(message.id)"), message)
        case .tlsStarted:
            return (SMTPReply(220, "2.0.0", "TLS reset"), nil)
        }
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

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t")
    }
}
