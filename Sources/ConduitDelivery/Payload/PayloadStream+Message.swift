import ConduitCore
import ConduitMIME
import ConduitStore

/// The spooled message's own bytes in a body (docs/DELIVERY.md, "Payload
/// formats"): `json_raw`'s `raw_base64` and the whole `raw` body. Like an
/// attachment, read a chunk at a time, each piece in its own short read
/// transaction: no copy of the message, no whole base64 text.
extension PayloadStream {
    /// The `raw` format's stream: the spooled message as it is, one segment.
    /// Reads only the header block, for the Message-ID the log keeps.
    /// Blocks: call it off Swift's cooperative pool.
    /// - Returns: `nil` when the message is not in the spool.
    static func openMessage(
        store: Store, messageID: String, chunkBytes: Int = defaultChunkBytes
    ) throws -> (stream: PayloadStream, messageIDHeader: String?)? {
        let found = try store.withSpooledBody(id: messageID) { body in
            (size: body.count, messageIDHeader: MIMEParser.messageID(buffer: body))
        }
        guard let found else { return nil }
        let stream = PayloadStream(
            segments: [.messageBytes], store: store, messageID: messageID, messageSize: found.size, chunkBytes: max(16, chunkBytes)
        )
        return (stream, found.messageIDHeader)
    }

    /// Appends the next piece of the spooled message — base64-encoded, or
    /// as it is — that fits the chunk; moves past the segment at the end.
    func readMessage(base64: Bool, cursor: inout Cursor, into out: inout [UInt8]) throws {
        let room = chunkBytes - out.count
        // Base64 takes whole 3-byte groups (4 characters each) until the
        // last: the pieces' texts then join into the text of the whole.
        let limit = base64 ? max(3, room / 4 * 3) : max(1, room)
        let start = cursor.messageOffset
        let end = try store.withSpooledBody(id: messageID) { body -> Int? in
            guard body.count == messageSize else { return nil }
            let end = min(body.count, start + limit)
            let piece = UnsafeRawBufferPointer(rebasing: body[start..<end])
            if base64 {
                Base64Chunk.append(piece, to: &out)
            } else {
                out.append(contentsOf: piece)
            }
            return end
        }
        guard let end = end ?? nil else { throw PayloadStreamError.messageGone(messageID) }
        if end == messageSize {
            cursor.messageOffset = 0
            cursor.segment += 1
        } else {
            cursor.messageOffset = end
        }
    }
}
