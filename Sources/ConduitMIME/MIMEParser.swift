/// Parses an Internet message (RFC 5322, MIME RFC 2045–2049) into the
/// fields of a webhook payload. Total: any input gives a `ParsedMessage`,
/// problems become `defects`, and `MIMELimits` bounds depth, part count and
/// header sizes so hostile input costs time and memory linear in its size.
public enum MIMEParser {
    /// What becomes of attachment content.
    public enum AttachmentContent: Sendable {
        /// Decoded into `MessageAttachment.content`.
        case decoded
        /// Left in the message: `content` stays empty and `source` says where
        /// the encoded bytes are and how to decode them (`AttachmentSource`),
        /// so a reader can stream them later; `size` is still the decoded size.
        case byReference
    }

    /// Parses `bytes` (CRLF or LF line ends).
    public static func parse(_ bytes: [UInt8], limits: MIMELimits = .default) -> ParsedMessage {
        bytes.withUnsafeBytes { parse(buffer: $0, limits: limits) }
    }

    /// Parses the message in `buffer`, which is only read during the call
    /// (e.g. a pointer into the store's memory map inside a read
    /// transaction): the result holds no pointer into it.
    public static func parse(buffer bytes: UnsafeRawBufferPointer, limits: MIMELimits = .default, attachments: AttachmentContent = .decoded) -> ParsedMessage {
        var reader = MIMETreeReader(bytes: bytes, limits: limits)
        let root = reader.entity(in: 0..<bytes.count, depth: 0, defaultType: "text/plain")
        var message = ParsedMessage(size: bytes.count)
        var defects = reader.defects

        let fields = root.fields
        message.headers = fields.map { field in
            var replacements = 0
            let value = field.decoded(replacements: &replacements)
            if replacements > 0 { defects.append(MIMEEntity.replacementDefect(replacements, in: "header \(field.name.prefix(80))")) }
            return MessageHeader(name: field.name, value: value)
        }
        message.subject = fields.first(named: "subject")?.decoded
        message.messageID = fields.first(named: "message-id")?.decoded
        message.dateHeader = fields.first(named: "date")?.decoded
        message.date = message.dateHeader.flatMap(MailDate.parse)
        message.from = fields.first(named: "from").flatMap { AddressList.parse($0.text).first }
        message.to = fields.first(named: "to").map { AddressList.parse($0.text) } ?? []
        message.cc = fields.first(named: "cc").map { AddressList.parse($0.text) } ?? []
        message.replyTo = fields.first(named: "reply-to").map { AddressList.parse($0.text) } ?? []

        let textPath = BodySelection.find(root, subtype: "plain")
        let htmlPath = BodySelection.find(root, subtype: "html")
        if let textPath { message.text = root[textPath].text(bytes, defects: &defects) }
        if let htmlPath { message.html = root[htmlPath].text(bytes, defects: &defects) }
        let rootIsBody = textPath == [] || htmlPath == []
        if !rootIsBody {
            for (path, leaf) in root.leaves() where path != textPath && path != htmlPath {
                var attachment = MessageAttachment(
                    filename: leaf.filename, contentType: leaf.mimeType, contentID: leaf.contentID,
                    disposition: leaf.disposition?.value, content: []
                )
                switch attachments {
                case .decoded:
                    attachment.content = leaf.decodedBody(bytes, defects: &defects)
                    attachment.size = attachment.content.count
                case .byReference:
                    var source = AttachmentSource(range: leaf.body, encoding: TransferDecoder.Encoding(name: leaf.transferEncoding))
                    attachment.size = source.measure(in: bytes)
                    attachment.source = source
                }
                message.attachments.append(attachment)
            }
        }
        message.defects = defects
        return message
    }
}

extension MIMEParser {
    /// The top-level `Message-ID` header, as `parse` gives it in
    /// `ParsedMessage.messageID`, from the header block alone (the `raw`
    /// format sends the message unparsed but logs its Message-ID).
    public static func messageID(buffer bytes: UnsafeRawBufferPointer, limits: MIMELimits = .default) -> String? {
        var defects: [String] = []
        return HeaderBlock(bytes, range: 0..<bytes.count, limits: limits, defects: &defects).fields.first(named: "message-id")?.decoded
    }
}
