import ConduitCore
import ConduitMIME
import ConduitStore
import Foundation
import NIOCore

/// The body of one delivery without a template (docs/PAYLOAD.md) as a
/// sequence of chunks — the JSON payload, byte for byte the compact
/// serialization of `WebhookPayload.jsonValue()` (written by
/// `PayloadJSONWriter`), plus `raw_base64` for `json_raw`; or, for `raw`, the
/// spooled message itself — without ever holding an attachment or the
/// message: it was parsed `byReference`, each attachment's `content_base64`
/// is decoded from the spooled message and base64-encoded as it is read, and
/// the message's own bytes are copied or encoded a chunk at a time.
///
/// Between chunks nothing points into LMDB: the stream keeps the message id
/// and size, and each chunk that needs attachment bytes opens its own short
/// read transaction (`Store.withSpooledBody`), checks the message is still
/// there with the same size, and decodes on from the position the cursor
/// kept. So a POST to a slow receiver pins no snapshot of the map.
///
/// Memory per delivery: the JSON text of the other fields (headers, text,
/// HTML — about the size of those parts) plus one chunk of `chunkBytes`.
public struct PayloadStream: Sendable {
    /// A piece of the body: JSON text, an attachment's content in base64,
    /// or the whole spooled message.
    enum Segment: Sendable {
        case text([UInt8])
        case attachment(AttachmentSource)
        /// The spooled message in base64: the value of `json_raw`'s `raw_base64`.
        case messageBase64
        /// The spooled message as it is: the `raw` format's body.
        case messageBytes
    }

    /// Where the next chunk starts.
    struct Cursor: Sendable {
        var segment = 0
        /// Bytes of a text segment already produced.
        var offset = 0
        /// The attachment being read, where it stopped.
        var decoder: TransferDecoder?
        /// Decoded bytes not yet encoded (fewer than 3: base64 works in groups of 3).
        var carry: [UInt8] = []
        /// Canonical base64 being copied: the next byte of the message to read.
        var copied: Int?
        /// The spooled message being sent (`messageBase64`, `messageBytes`):
        /// the next byte of it to read.
        var messageOffset = 0
    }

    /// 48 KiB of content per chunk, 64 KiB of base64.
    public static let defaultChunkBytes = 64 * 1024

    let segments: [Segment]
    let store: Store
    let messageID: String
    let messageSize: Int
    let chunkBytes: Int

    /// Parses the spooled message `messageID` inside one read transaction
    /// (attachments by reference) and lays out the body of `format` for
    /// `context`; `raw` reads only the header block (`openMessage`).
    /// With `sizing` (`json`, `json_raw`) and a body longer than its limit,
    /// the body is cut (`PayloadFit`) and its links are stored first
    /// (`PayloadLinks.mint`). Blocks for the parse and that write: call it
    /// off Swift's cooperative pool.
    /// - Returns: the stream and the message's `Message-ID`; `nil` when
    ///   the message is not in the spool.
    /// - Throws: `PayloadTooLarge` when the body cannot be cut to the limit.
    static func open(
        store: Store, messageID: String, context: PayloadContext, format: Webhook.PayloadFormat = .json,
        sizing: PayloadSizing? = nil, chunkBytes: Int = defaultChunkBytes
    ) throws -> (stream: PayloadStream, messageIDHeader: String?)? {
        if format == .raw { return try openMessage(store: store, messageID: messageID, chunkBytes: chunkBytes) }
        let parsed = try store.withSpooledBody(id: messageID) { body in
            MIMEParser.parse(buffer: body, attachments: .byReference)
        }
        guard let parsed else { return nil }
        let payload = WebhookPayload(message: parsed, context: context)
        let rawBase64 = format == .jsonRaw
        var segments = layout(payload, rawBase64: rawBase64)
        if let sizing {
            let length = Self.length(of: segments, payload)
            if length > sizing.limit {
                let measure = PayloadFit.Measure(
                    length: length, attachmentSizes: parsed.attachments.map(\.size), rawSize: rawBase64 ? parsed.size : nil,
                    text: parsed.text, html: parsed.html, replyText: parsed.text.map(ReplyText.extract)
                )
                if let fit = try PayloadFit.plan(measure, limit: sizing.limit, linkBase: sizing.linkBase) {
                    let cut = try PayloadLinks.mint(fit, measure: measure, message: parsed, messageID: messageID, sizing: sizing, store: store)
                    segments = layout(payload, rawBase64: rawBase64, cut: cut)
                    // The plan is exact (`PayloadFitTests`); this guards the limit whatever happens.
                    let cutLength = Self.length(of: segments, payload, cut: cut)
                    guard cutLength <= sizing.limit else { throw PayloadTooLarge(limit: sizing.limit, least: cutLength) }
                }
            }
        }
        let stream = PayloadStream(
            segments: segments, store: store, messageID: messageID, messageSize: parsed.size, chunkBytes: max(16, chunkBytes)
        )
        return (stream, parsed.messageID)
    }

    /// The body's length from its layout: text segments, each attachment
    /// left open as its base64's length (`4 · ⌈size / 3⌉`; a canonical
    /// base64 copy is that long too) unless `cut` links it, and
    /// `raw_base64` as the message's, without reading any content.
    static func length(of segments: [Segment], _ payload: WebhookPayload, cut: PayloadCut? = nil) -> Int {
        let fixed = segments.reduce(0) { total, segment in
            switch segment {
            case let .text(bytes): total + bytes.count
            case .messageBase64: total + PayloadFit.base64Length(payload.message.size)
            case .attachment, .messageBytes: total
            }
        }
        var open = 0
        for (index, attachment) in payload.message.attachments.enumerated()
        where attachment.source != nil && cut?.attachmentURLs[index] == nil {
            open += PayloadFit.base64Length(attachment.size)
        }
        return fixed + open
    }

    /// The segments of the compact serialization, attachments left open:
    /// `{…,"attachments":[{…,"content_base64":"` ⟨attachment⟩ `"},{…` ⟨…⟩ `"}],"size":N}`;
    /// with `rawBase64` (`json_raw`) the end is `"size":N,"raw_base64":"` ⟨message⟩ `"}`.
    /// A `cut` writes its links and texts instead (`PayloadJSONWriter`).
    static func layout(_ payload: WebhookPayload, rawBase64: Bool = false, cut: PayloadCut? = nil) -> [Segment] {
        var segments: [Segment] = []
        var writer = PayloadJSONWriter(capacity: PayloadJSONWriter.estimatedBytes(payload.message))
        func open(_ attachment: MessageAttachment, _ writer: inout PayloadJSONWriter) {
            guard let source = attachment.source else {
                return Base64Chunk.append(attachment.content, to: &writer.out)
            }
            segments.append(.text(writer.out))
            segments.append(.attachment(source))
            writer.out = []
        }
        if rawBase64 {
            // Its own segment, so a size limit can put a link there.
            writer.writeMembers(payload, cut: cut, content: open)
            if let url = cut?.rawURL {
                writer.rawURL(url)
            } else {
                writer.openRawBase64()
                segments.append(.text(writer.out))
                segments.append(.messageBase64)
                writer.out = Array(#"""#.utf8)
            }
            writer.close(cut: cut)
        } else {
            writer.write(payload, cut: cut, content: open)
        }
        segments.append(.text(writer.out))
        return segments
    }

    func makeCursor() -> Cursor { Cursor() }

    /// The next chunk (at most `chunkBytes` + 4 bytes), or `nil` after the
    /// last. Blocks while it decodes: call it off the cooperative pool.
    /// - Throws: `PayloadStreamError` when the message left the spool or changed size.
    func next(_ cursor: inout Cursor) throws -> [UInt8]? {
        guard cursor.segment < segments.count else { return nil }
        // The last segment whole is the chunk as it is, shared, not copied: a
        // body without attachments is that one segment.
        if cursor.segment == segments.count - 1, cursor.offset == 0,
           case let .text(bytes) = segments[cursor.segment], bytes.count <= chunkBytes {
            cursor.segment += 1
            return bytes
        }
        var out: [UInt8] = []
        out.reserveCapacity(chunkBytes + 4)
        while cursor.segment < segments.count, out.count < chunkBytes {
            switch segments[cursor.segment] {
            case let .text(bytes):
                let count = min(bytes.count - cursor.offset, chunkBytes - out.count)
                out += bytes[cursor.offset..<cursor.offset + count]
                cursor.offset += count
                if cursor.offset == bytes.count {
                    cursor.segment += 1
                    cursor.offset = 0
                }
            case let .attachment(source):
                try readAttachment(source, cursor: &cursor, into: &out)
            case .messageBase64:
                try readMessage(base64: true, cursor: &cursor, into: &out)
            case .messageBytes:
                try readMessage(base64: false, cursor: &cursor, into: &out)
            }
        }
        return out
    }

    /// Decodes the next piece of an attachment in a read transaction of its
    /// own and appends its base64; moves past the attachment at its end.
    /// Canonical base64 is copied as it is (`Base64Text`), not decoded and encoded.
    private func readAttachment(_ source: AttachmentSource, cursor: inout Cursor, into out: inout [UInt8]) throws {
        if source.isCanonicalBase64 { return try copyAttachment(source, cursor: &cursor, into: &out) }
        var decoder = cursor.decoder ?? source.decoder()
        var decoded = cursor.carry
        // Room for `space` base64 characters is room for 3/4 as many bytes.
        let limit = max(3, (chunkBytes - out.count) / 4 * 3) - decoded.count
        let found = try store.withSpooledBody(id: messageID) { body -> Bool in
            guard body.count == messageSize else { return false }
            decoder.decode(from: body, limit: limit, into: &decoded)
            return true
        }
        guard found == true else { throw PayloadStreamError.messageGone(messageID) }
        let whole = decoder.isFinished ? decoded.count : decoded.count / 3 * 3
        Base64Chunk.append(decoded[..<whole], to: &out)
        cursor.carry = Array(decoded[whole...])
        if decoder.isFinished {
            cursor.decoder = nil
            cursor.segment += 1
        } else {
            cursor.decoder = decoder
        }
    }

    private func copyAttachment(_ source: AttachmentSource, cursor: inout Cursor, into out: inout [UInt8]) throws {
        let start = cursor.copied ?? source.range.lowerBound
        let limit = max(1, chunkBytes - out.count)
        let next = try store.withSpooledBody(id: messageID) { body -> Int? in
            guard body.count == messageSize else { return nil }
            return Base64Text.copy(body, from: start, to: source.range.upperBound, limit: limit, into: &out)
        }
        guard let next = next ?? nil else { throw PayloadStreamError.messageGone(messageID) }
        if next >= source.range.upperBound {
            cursor.copied = nil
            cursor.segment += 1
        } else {
            cursor.copied = next
        }
    }

    /// Pass 1 of a streamed POST: the whole body through the Standard
    /// Webhooks HMAC of every key and counted, nothing kept (the signature
    /// header must go out before the body). Blocks: call it off the cooperative pool.
    func signature(keys: WebhookSignature.Keys, id: String, timestamp: Int) throws -> (signature: String, length: Int) {
        let signed = try sign(keys: keys, id: id, timestamp: timestamp)
        return (signed.signature, signed.length)
    }

    /// Pass 1, and for a body that is one chunk (at most `chunkBytes` + 4
    /// bytes) the body itself, so the POST can send it as bytes instead of
    /// making it again in a second pass. A longer body keeps no chunk.
    /// Each chunk feeds both MACs during a rotation: the body is read once.
    func sign(keys: WebhookSignature.Keys, id: String, timestamp: Int) throws -> (signature: String, length: Int, whole: [UInt8]?) {
        let signer = WebhookSignature.Signer(keys: keys, id: id, timestamp: timestamp)
        var cursor = makeCursor()
        var length = 0
        var first: [UInt8]?
        var chunks = 0
        while let chunk = try next(&cursor) {
            signer.update(chunk)
            length += chunk.count
            chunks += 1
            first = chunks == 1 ? chunk : nil
        }
        return (signer.signature(), length, first)
    }

    /// Every chunk joined (tests; `conduit parse` does not stream).
    func collect() throws -> [UInt8] {
        var cursor = makeCursor()
        var all: [UInt8] = []
        while let chunk = try next(&cursor) { all += chunk }
        return all
    }
}

/// The spooled message a stream reads went away or changed mid-POST.
public enum PayloadStreamError: Error, CustomStringConvertible {
    case messageGone(String)

    public var description: String {
        switch self {
        case let .messageGone(id): "the message \(id) left the spool while its body was being sent"
        }
    }
}

/// Standard base64 (RFC 4648 §4, with padding, no line breaks) appended to
/// a byte buffer: a run of whole 3-byte groups encodes to the same text
/// alone or as part of a longer input, so chunks join up exactly.
enum Base64Chunk {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func append<C: Collection<UInt8>>(_ bytes: C, to out: inout [UInt8]) {
        // Arrays, slices and buffers (every caller): the table loop below.
        let contiguous: Void? = bytes.withContiguousStorageIfAvailable { append(UnsafeRawBufferPointer($0), to: &out) }
        if contiguous != nil { return }
        out.reserveCapacity(out.count + (bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = iterator.next()
            let group = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            out.append(second == nil ? UInt8(ascii: "=") : alphabet[Int(group >> 6 & 63)])
            out.append(third == nil ? UInt8(ascii: "=") : alphabet[Int(group & 63)])
        }
    }

    /// The same over a buffer, written in place: about 10 × the
    /// byte-by-byte append above (the whole message of `json_raw` goes
    /// through here twice, once to sign and once to send).
    static func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let start = out.count
        let whole = bytes.count / 3 * 3
        out.append(contentsOf: repeatElement(0, count: (bytes.count + 2) / 3 * 4))
        alphabet.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { buffer in
                var index = 0
                var position = start
                while index < whole {
                    let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                    buffer[position] = table[Int(group >> 18 & 63)]
                    buffer[position + 1] = table[Int(group >> 12 & 63)]
                    buffer[position + 2] = table[Int(group >> 6 & 63)]
                    buffer[position + 3] = table[Int(group & 63)]
                    index += 3
                    position += 4
                }
                guard index < bytes.count else { return }
                let second = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
                let group = UInt32(bytes[index]) << 16 | second << 8
                buffer[position] = table[Int(group >> 18 & 63)]
                buffer[position + 1] = table[Int(group >> 12 & 63)]
                buffer[position + 2] = index + 1 < bytes.count ? table[Int(group >> 6 & 63)] : UInt8(ascii: "=")
                buffer[position + 3] = UInt8(ascii: "=")
            }
        }
    }

}

/// A `PayloadStream` as the `AsyncSequence` of buffers `WebhookConnection`
/// writes: each chunk is made on the render threads (it decodes and may read
/// the store), never on the cooperative pool, one at a time per POST.
struct PayloadChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let stream: PayloadStream

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: PayloadStream
        var cursor: PayloadStream.Cursor?

        mutating func next() async throws -> ByteBuffer? {
            guard let current = cursor else { return nil }
            let stream = stream
            let (chunk, after) = try await PayloadRenderer.renderThreads.run { () throws -> ([UInt8]?, PayloadStream.Cursor) in
                var cursor = current
                let chunk = try stream.next(&cursor)
                return (chunk, cursor)
            }
            guard let chunk else {
                cursor = nil
                return nil
            }
            cursor = after
            return ByteBuffer(bytes: chunk)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: stream, cursor: stream.makeCursor())
    }
}
