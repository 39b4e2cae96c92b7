import ConduitCore
import ConduitMIME
public import ConduitStore
public import ConduitWebhooks
public import Foundation
import Synchronization

/// A webhook's `max_payload_bytes` and where links point: the body of a
/// delivery to that webhook is cut to `limit` (`PayloadFit`).
public struct PayloadSizing: Sendable, Equatable {
    /// The largest body, bytes.
    public var limit: Int
    /// `[api] public_url`, without a trailing `/`.
    public var linkBase: String
    /// When the links are made.
    public var now: Date

    public init(limit: Int, linkBase: String, now: Date = Date()) {
        self.limit = limit
        self.linkBase = linkBase
        self.now = now
    }
}

/// The links of cut payloads (docs/DELIVERY.md, "Payloads sized to the
/// receiver"): minted when a body is cut, served without Authorization by
/// `GET /api/v1/attachments/{token}` and `GET /api/v1/messages/{token}/raw`.
public enum PayloadLinks {
    /// Makes a token per linked part, stores their hashes (one durable write,
    /// only if the message is still spooled as parsed) and answers the cut
    /// with the URLs. New tokens on every attempt: only hashes are stored, so
    /// an earlier attempt's token cannot be handed out again; the links of
    /// all attempts leave with the message. Blocks: call it off the cooperative pool.
    static func mint(
        _ fit: PayloadFit, measure: PayloadFit.Measure, message: ParsedMessage, messageID: String, sizing: PayloadSizing, store: Store
    ) throws -> PayloadCut {
        var links: [PayloadLink] = []
        var cut = PayloadCut()
        if fit.linksRaw {
            let token = SecretToken.generate(prefix: PayloadLink.tokenPrefix)
            links.append(.rawMessage(id: SecretToken.hash(token), messageID: messageID, messageSize: message.size, createdAt: sizing.now))
            cut.rawURL = rawURL(base: sizing.linkBase, token: token)
        }
        for index in fit.linkedAttachments {
            let attachment = message.attachments[index]
            // Parsed by reference: every attachment has its source.
            guard let source = attachment.source else { continue }
            let token = SecretToken.generate(prefix: PayloadLink.tokenPrefix)
            links.append(PayloadLink(
                id: SecretToken.hash(token), messageID: messageID, part: index, messageSize: message.size,
                contentType: attachment.contentType, filename: attachment.filename, size: attachment.size,
                contentStart: source.range.lowerBound, contentEnd: source.range.upperBound,
                transferEncoding: source.encoding.name, createdAt: sizing.now
            ))
            cut.attachmentURLs[index] = attachmentURL(base: sizing.linkBase, token: token)
        }
        func cutText(_ text: String?, _ bytes: Int?) -> String? {
            guard let text, let bytes else { return text }
            return JSONEscaping.cut(text, utf8Bytes: bytes)
        }
        cut.text = cutText(measure.text, fit.textBytes)
        cut.html = cutText(measure.html, fit.htmlBytes)
        cut.replyText = cutText(measure.replyText, fit.replyTextBytes)
        cut.truncated = fit.truncated
        if !links.isEmpty {
            let stored = try store.write { txn -> Bool in
                guard let spooled = try txn.reader.get(SpooledMessage.self, id: messageID), spooled.size == message.size else { return false }
                try txn.insert(links: links)
                return true
            }
            guard stored else { throw PayloadStreamError.messageGone(messageID) }
        }
        return cut
    }

    static func attachmentURL(base: String, token: String) -> String { "\(base)/api/v1/attachments/\(token)" }
    static func rawURL(base: String, token: String) -> String { "\(base)/api/v1/messages/\(token)/raw" }
}

/// Serves links from the store: the seam `GET /api/v1/attachments/{token}`
/// and `GET /api/v1/messages/{token}/raw` call.
public struct PayloadLinkServer: PayloadLinkServing {
    let store: Store
    /// Link reads run here, never on the cooperative pool: the lookup and each chunk's read transaction.
    static let reads = BlockingWork(width: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))

    public init(store: Store) {
        self.store = store
    }

    public func open(token: String, kind: LinkedContent.Kind) async throws -> LinkedContent? {
        // A malformed token costs no lookup; a well-formed one one B-tree
        // lookup by its SHA-256, so the time says nothing about which
        // tokens exist. Every miss is the same `nil` (404).
        guard SecretToken.isWellFormed(token, prefix: PayloadLink.tokenPrefix) else { return nil }
        let store = store
        return try await Self.reads.run { try Self.open(hash: SecretToken.hash(token), kind: kind, store: store) }
    }

    /// The link's content, without parsing the message: the link kept
    /// where the part's bytes are and how they are encoded.
    static func open(hash: String, kind: LinkedContent.Kind, store: Store) throws -> LinkedContent? {
        guard let link = try store.read({ try $0.payloadLink(tokenHash: hash) }),
              (link.part == PayloadLink.rawMessage) == (kind == .rawMessage),
              0 <= link.contentStart, link.contentStart <= link.contentEnd, link.contentEnd <= link.messageSize
        else { return nil }
        let part: LinkedBytes.Part = if link.part == PayloadLink.rawMessage {
            .raw
        } else {
            .attachment(AttachmentSource(
                range: link.contentStart..<link.contentEnd, encoding: TransferDecoder.Encoding(name: link.transferEncoding)
            ))
        }
        let reader = LinkedBytes(store: store, messageID: link.messageID, messageSize: link.messageSize, part: part)
        return LinkedContent(contentType: link.contentType, filename: link.filename, length: link.size, chunks: reader.chunks())
    }
}

extension TransferDecoder.Encoding {
    /// The Content-Transfer-Encoding name `init(name:)` reads back.
    var name: String {
        switch self {
        case .identity: ""
        case .base64: "base64"
        case .quotedPrintable: "quoted-printable"
        }
    }
}

/// The bytes a link serves, a chunk at a time, each chunk read in a read
/// transaction of its own (as `PayloadStream` does), so a slow client pins
/// no snapshot and holds one chunk, not the attachment.
struct LinkedBytes: Sendable {
    enum Part: Sendable {
        case raw
        case attachment(AttachmentSource)
    }

    static let chunkBytes = 64 * 1024

    let store: Store
    let messageID: String
    let messageSize: Int
    let part: Part

    /// Where the next chunk starts.
    struct Cursor: Sendable {
        var offset = 0
        var decoder: TransferDecoder?
        var finished = false
    }

    /// The next chunk, or `nil` after the last. Blocks.
    /// - Throws: `PayloadStreamError.messageGone` when the message left the spool meanwhile.
    func next(_ cursor: inout Cursor) throws -> [UInt8]? {
        guard !cursor.finished else { return nil }
        switch part {
        case .raw:
            guard cursor.offset < messageSize else { return nil }
            let start = cursor.offset
            let end = min(messageSize, start + Self.chunkBytes)
            let chunk = try store.withSpooledBody(id: messageID) { body -> [UInt8]? in
                guard body.count == messageSize else { return nil }
                return Array(body[start..<end])
            }
            guard let chunk = chunk ?? nil else { throw PayloadStreamError.messageGone(messageID) }
            cursor.offset = end
            return chunk
        case let .attachment(source):
            var decoder = cursor.decoder ?? source.decoder()
            guard !decoder.isFinished else { return nil }
            var out: [UInt8] = []
            let found = try store.withSpooledBody(id: messageID) { body -> Bool in
                guard body.count == messageSize else { return false }
                decoder.decode(from: body, limit: Self.chunkBytes, into: &out)
                return true
            }
            guard found == true else { throw PayloadStreamError.messageGone(messageID) }
            cursor.decoder = decoder
            if decoder.isFinished { cursor.finished = true }
            return out.isEmpty && cursor.finished ? nil : out
        }
    }

    /// The chunks as an async sequence whose every step runs on `PayloadLinkServer.reads`.
    func chunks() -> LinkedContent.Chunks {
        let cursor = CursorBox()
        let bytes = self
        return LinkedContent.Chunks {
            try await PayloadLinkServer.reads.run {
                try cursor.value.withLock { try bytes.next(&$0) }
            }
        }
    }

    /// The cursor the chunks' closure shares (a `Mutex` cannot be captured by itself).
    final class CursorBox: Sendable {
        let value = Mutex(Cursor())
    }
}
