import ConduitCore
import ConduitMIME
import Foundation

/// Writes the default body (docs/PAYLOAD.md) as compact JSON straight into
/// one byte buffer, member by member in the documented order: the same
/// bytes as `WebhookPayload.jsonValue().serialized()`, without building the
/// tree of `JSONValue`s first (a delivery does this for every message;
/// the tree stays for templates and `conduit parse`).
struct PayloadJSONWriter {
    var out: [UInt8]

    init(capacity: Int) {
        out = []
        out.reserveCapacity(capacity)
    }

    /// The payload; at each attachment, between the quotes of its
    /// `content_base64`, `content` writes the content (or, for
    /// `PayloadStream`, ends a segment there). With a `cut` (a body over
    /// `max_payload_bytes`, `PayloadFit`), linked attachments get
    /// `"content_base64":null,"url":…` instead, the texts are the cut ones,
    /// and `"truncated":true` is the last member when they were cut.
    mutating func write(_ payload: WebhookPayload, cut: PayloadCut? = nil, content: (MessageAttachment, inout PayloadJSONWriter) -> Void) {
        writeMembers(payload, cut: cut, content: content)
        close(cut: cut)
    }

    /// The payload without its closing `}`: `json_raw` appends
    /// `,"raw_base64":"…"` (or `,"raw_url":"…"`) after `size`; then `close`.
    mutating func writeMembers(
        _ payload: WebhookPayload, cut: PayloadCut? = nil, content: (MessageAttachment, inout PayloadJSONWriter) -> Void
    ) {
        let message = payload.message
        let context = payload.context
        raw(#"{"id":"#)
        string(context.id)
        raw(#","webhook_id":"#)
        string(context.webhookID)
        raw(#","redelivery_of":"#)
        string(context.redeliveryOf)
        raw(#","received_at":"#)
        date(context.receivedAt)
        raw(#","envelope":{"mail_from":"#)
        string(context.mailFrom)
        raw(#","rcpt_to":"#)
        string(context.rcptTo)
        raw(#","remote_ip":"#)
        string(context.remoteIP)
        raw(#","helo":"#)
        string(context.helo)
        raw(#","tls":"#)
        bool(context.tls)
        raw(#","auth_user":"#)
        string(context.authUser)
        raw(#"},"auth":{"spf":{"result":"#)
        string(context.spf?.result)
        raw(#","domain":"#)
        string(context.spf?.domain)
        raw(#"},"dkim":"#)
        array(context.dkim) { writer, dkim in
            writer.raw(#"{"domain":"#)
            writer.string(dkim.domain)
            writer.raw(#","selector":"#)
            writer.string(dkim.selector)
            writer.raw(#","result":"#)
            writer.string(dkim.result)
            writer.raw("}")
        }
        raw(#","dmarc":{"result":"#)
        string(context.dmarc?.result)
        raw(#","domain":"#)
        string(context.dmarc.map { $0.domain.isEmpty ? nil : $0.domain } ?? nil)
        raw(#","policy":"#)
        string(context.dmarc?.policy)
        raw(#","spf_aligned":"#)
        bool(context.dmarc?.spfAligned)
        raw(#","dkim_aligned":"#)
        bool(context.dmarc?.dkimAligned)
        raw(#"},"arc":{"result":"#)
        string(context.arc?.result)
        raw(#","instances":"#)
        if let instances = context.arc?.instances { int(instances) } else { raw("null") }
        raw(#"},"results":"#)
        string(context.authenticationResults)
        raw(#"},"message_id":"#)
        string(message.messageID)
        raw(#","subject":"#)
        string(message.subject)
        raw(#","date":"#)
        date(message.date)
        raw(#","from":"#)
        if let from = message.from { address(from) } else { raw("null") }
        raw(#","to":"#)
        array(message.to) { $0.address($1) }
        raw(#","cc":"#)
        array(message.cc) { $0.address($1) }
        raw(#","reply_to":"#)
        array(message.replyTo) { $0.address($1) }
        raw(#","tag":"#)
        string(context.tag)
        raw(#","headers":"#)
        array(message.headers) { writer, header in
            writer.raw(#"{"name":"#)
            writer.string(header.name)
            writer.raw(#","value":"#)
            writer.string(header.value)
            writer.raw("}")
        }
        raw(#","text":"#)
        string(cut?.text ?? message.text)
        raw(#","html":"#)
        string(cut?.html ?? message.html)
        raw(#","reply_text":"#)
        string(cut?.replyText ?? message.text.map(ReplyText.extract))
        raw(#","attachments":"#)
        array(Array(message.attachments.enumerated())) { writer, element in
            let (index, attachment) = element
            writer.raw(#"{"filename":"#)
            writer.string(attachment.filename)
            writer.raw(#","content_type":"#)
            writer.string(attachment.contentType)
            writer.raw(#","size":"#)
            writer.int(attachment.size)
            writer.raw(#","content_id":"#)
            writer.string(attachment.contentID)
            writer.raw(#","disposition":"#)
            writer.string(attachment.disposition)
            if let url = cut?.attachmentURLs[index] {
                writer.raw(#","content_base64":null,"url":"#)
                writer.string(url)
                writer.raw("}")
            } else {
                writer.raw(#","content_base64":""#)
                content(attachment, &writer)
                writer.raw(#""}"#)
            }
        }
        raw(#","size":"#)
        int(message.size)
    }

    /// Opens the `json_raw` member after `writeMembers`; the value's base64
    /// and `"` follow, then `close`.
    mutating func openRawBase64() {
        raw(#","raw_base64":""#)
    }

    /// `json_raw`'s member when its message is behind a link instead.
    mutating func rawURL(_ url: String) {
        raw(#","raw_url":"#)
        string(url)
    }

    /// `"truncated":true` when the texts were cut, and the closing `}`.
    mutating func close(cut: PayloadCut?) {
        if cut?.truncated == true { raw(#","truncated":true"#) }
        raw("}")
    }

    /// An estimate of the body's length without attachments, for one allocation.
    static func estimatedBytes(_ message: ParsedMessage) -> Int {
        let text = message.text?.utf8.count ?? 0
        let headers = message.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 24 }
        // Escapes (a `\n` per line) add a little; 2 × text covers text and reply_text.
        return 1024 + headers + (2 * text + (message.html?.utf8.count ?? 0)) * 9 / 8 + message.attachments.count * 160
    }

    mutating func raw(_ text: StaticString) {
        out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func string(_ value: String?) {
        guard let value else { return raw("null") }
        JSONValue.writeString(value, to: &out)
    }

    mutating func bool(_ value: Bool?) {
        switch value {
        case nil: raw("null")
        case true?: raw("true")
        case false?: raw("false")
        }
    }

    mutating func int(_ value: Int) {
        ASCIIDecimal.append(value, to: &out)
    }

    mutating func date(_ value: Date?) {
        guard let value else { return raw("null") }
        out.append(UInt8(ascii: "\""))
        MailDate.appendRFC3339(value, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    mutating func address(_ value: MailAddress) {
        raw(#"{"name":"#)
        string(value.name)
        raw(#","address":"#)
        string(value.address)
        raw("}")
    }

    mutating func array<Element>(_ values: [Element], _ element: (inout PayloadJSONWriter, Element) -> Void) {
        guard !values.isEmpty else { return raw("[]") }
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            element(&self, value)
        }
        out.append(UInt8(ascii: "]"))
    }
}
