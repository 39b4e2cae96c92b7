import ConduitSMTP
import Foundation
import NIOCore

/// SMTP: the input is what a client sends. The first byte picks the line
/// limit, whether STARTTLS and insecure AUTH are offered, and seeds the
/// backend's answers and the TLS handshake's outcome; the rest is framed by
/// `SMTPLineDecoder` (all at once, and in chunks split at input-derived
/// offsets: the frames must be the same) and fed to `SMTPSession`, whose
/// backend calls are answered at once.
///
/// Promises checked: framing does not depend on how bytes arrive; every
/// reply is well-formed on the wire (client text never injects a line
/// break); no message handed to the backend is over the size limit plus
/// the `Received:` field; once a reply closes the session, it stays closed.
enum SMTPFuzzTarget {
    static let maxMessageBytes = 4096

    static func run(_ input: [UInt8]) {
        guard let control = input.first else { return }
        let text = Array(input.dropFirst())
        let maxLineLength = [8, 64, 512, 1000][Int(control & 0x03)]

        let whole = frames(text, splits: [], maxLineLength: maxLineLength)
        let chunked = frames(text, splits: FuzzInput.splits(count: text.count, seed: text[...]), maxLineLength: maxLineLength)
        precondition(whole == chunked, "SMTP framing depends on how the bytes arrive")

        var session = SMTPSession(
            settings: SMTPSession.Settings(
                hostname: "mx.fuzz.test", maxMessageBytes: maxMessageBytes, maxRecipients: 4, maxErrors: 30,
                tlsAvailable: control & 0x04 != 0, allowInsecureAuth: control & 0x08 != 0,
                makeID: { "FUZZ0001" }, now: { Date(timeIntervalSince1970: 1_700_000_000) }
            ),
            connection: SMTPConnectionInfo(remoteIP: "192.0.2.1", remotePort: 40000)
        )
        check(session.greeting())
        var answerSeed = UInt32(control) &* 2_654_435_761
        func nextAnswer() -> UInt32 {
            answerSeed = answerSeed &* 1_103_515_245 &+ 12345
            return answerSeed >> 16
        }
        var closed = false
        // Text the driver has taken out of the message in progress.
        var taken = 0
        for frame in whole {
            var action = session.receive(frame)
            if closed {
                guard case .replyAndClose = action else { preconditionFailure("input taken after the session closed") }
                return
            }
            while true {
                switch action {
                case .none:
                    break
                case let .reply(reply):
                    check(reply)
                case let .replyAndClose(reply):
                    check(reply)
                    closed = true
                case let .startTLS(reply):
                    check(reply)
                    if nextAnswer() % 4 == 0 {
                        session.tlsFailed()
                    } else {
                        action = session.tlsEstablished()
                        continue
                    }
                case let .backend(call):
                    if case let .data(message) = call {
                        // The limit counts the client's text; `Received:` (with the
                        // EHLO name, at most one line) comes on top.
                        precondition(taken + message.content.count <= maxMessageBytes + 2048, "a message over the size limit reached the backend")
                        taken = 0
                    }
                    let reply: SMTPReply
                    switch call {
                    case .tlsStarted: reply = SMTPReply(250, nil, "ok")
                    default:
                        switch nextAnswer() % 5 {
                        case 0: reply = SMTPReply(451, "4.3.0", "try later")
                        case 1: reply = SMTPReply(550, "5.7.1", "refused")
                        default: reply = SMTPReply(250, "2.0.0", "ok")
                        }
                    }
                    action = session.backendReplied(reply)
                    continue
                }
                break
            }
            // The driver streams DATA text out after every line (SMTPServerHandler).
            if session.isReceivingText {
                taken += session.takeText().readableBytes
            } else {
                taken = 0
            }
        }
    }

    /// The frames of `bytes` fed to one decoder in chunks ending at `splits`.
    static func frames(_ bytes: [UInt8], splits: [Int], maxLineLength: Int) -> [SMTPInbound] {
        var decoder = SMTPLineDecoder(maxLineLength: maxLineLength)
        var buffer = ByteBuffer()
        var frames: [SMTPInbound] = []
        var start = 0
        for end in splits + [bytes.count] where end > start {
            buffer.writeBytes(bytes[start..<end])
            start = end
            while let frame = decoder.nextMessage(&buffer) {
                if case let .line(line) = frame { precondition(line.readableBytes <= maxLineLength, "a line over the limit") }
                if case let .fragment(line) = frame { precondition(line.readableBytes == maxLineLength, "a fragment of the wrong size") }
                frames.append(frame)
            }
            buffer.discardReadBytes()
        }
        return frames
    }

    /// A reply is a 3-digit code and lines that carry no CR or LF of their own.
    static func check(_ reply: SMTPReply) {
        precondition((200..<600).contains(reply.code), "reply code \(reply.code)")
        precondition(!reply.lines.isEmpty, "a reply without text")
        for line in reply.lines {
            precondition(!line.utf8.contains(13) && !line.utf8.contains(10), "a line break inside a reply line: \(reply.wire.debugDescription)")
        }
        precondition(reply.wire.hasSuffix("\r\n"), "a reply not ending in CRLF")
    }
}
