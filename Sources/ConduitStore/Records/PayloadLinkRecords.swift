public import ConduitCore

// The links of payloads cut to a webhook's `max_payload_bytes` (schema 6):
// keyed by the token's SHA-256, indexed by message so that they leave with
// the message (`removeSpooledMessage`). Part of the spool's tables.

extension PayloadLink: StoreRecord {
    public static let tableName = "payload_links"
    public static let indexes: [RecordIndex<PayloadLink>] = [
        RecordIndex(.byMessage, unique: false, key: { $0.messageID }),
    ]

    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(messageID)
        writer.write(part)
        writer.write(messageSize)
        writer.write(contentType)
        writer.write(filename)
        writer.write(size)
        writer.write(contentStart)
        writer.write(contentEnd)
        writer.write(transferEncoding)
        writer.write(createdAt)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> PayloadLink {
        let id = try reader.string()
        let messageID = try reader.string()
        let part = try reader.int()
        let messageSize = try reader.int()
        let contentType = try reader.string()
        let filename = try reader.optionalString()
        let size = try reader.int()
        let contentStart = try reader.int()
        let contentEnd = try reader.int()
        let transferEncoding = try reader.string()
        return PayloadLink(id: id, messageID: messageID, part: part, messageSize: messageSize, contentType: contentType, filename: filename,
                           size: size, contentStart: contentStart, contentEnd: contentEnd, transferEncoding: transferEncoding,
                           createdAt: try reader.date())
    }
}

extension IndexName where Record == PayloadLink {
    public static let byMessage = IndexName("by_message")
}

extension WriteTransaction {
    /// Stores new links (one per token minted for a cut payload).
    public func insert(links: [PayloadLink]) throws {
        for link in links { try insert(link) }
    }

    /// Removes every link to the message `messageID`.
    func removePayloadLinks(ofMessage messageID: String) throws {
        for link in try reader.list(PayloadLink.self, index: .byMessage, key: messageID) {
            try delete(PayloadLink.self, id: link.id)
        }
    }
}

extension ReadTransaction {
    /// The link whose token hashes to `tokenHash`, if its message is still
    /// spooled with the size it had (`nil` otherwise: unknown, or gone).
    public func payloadLink(tokenHash: String) throws -> PayloadLink? {
        guard let link = try get(PayloadLink.self, id: tokenHash),
              let message = try get(SpooledMessage.self, id: link.messageID), message.size == link.messageSize
        else { return nil }
        return link
    }
}
