import ConduitCore
public import ConduitMIME
import Foundation

/// The default webhook body (docs/PAYLOAD.md, docs/webhook-payload.schema.json): every key always present, absent
/// values `null`, keys in the documented order.
public struct WebhookPayload: Sendable {
    /// The parsed message.
    public var message: ParsedMessage
    /// Envelope, authentication and delivery ids.
    public var context: PayloadContext

    /// A payload for `message` as delivered in `context`.
    public init(message: ParsedMessage, context: PayloadContext = PayloadContext()) {
        self.message = message
        self.context = context
    }

    /// The payload tree for `message` in `context`.
    public static func payloadJSON(message: ParsedMessage, context: PayloadContext = PayloadContext()) -> JSONValue {
        WebhookPayload(message: message, context: context).jsonValue()
    }

    /// The default body: the compact JSON text, UTF-8 (what a webhook without
    /// a template is sent; attachments decoded into the message are encoded
    /// inline). Written straight into bytes by `PayloadJSONWriter`: the same
    /// bytes as `jsonValue().serialized()`.
    /// With `rawMessage`, the `json_raw` body: the same members, then
    /// `raw_base64`, those bytes in base64 (a simulation's message, in
    /// memory; a delivery streams it, `PayloadStream`).
    public func compactJSON(rawMessage: [UInt8]? = nil) -> [UInt8] {
        let inline = message.attachments.reduce(0) { $0 + ($1.content.count + 2) / 3 * 4 }
        let raw = rawMessage.map { ($0.count + 2) / 3 * 4 + 16 } ?? 0
        var writer = PayloadJSONWriter(capacity: PayloadJSONWriter.estimatedBytes(message) + inline + raw)
        let content = { (attachment: MessageAttachment, writer: inout PayloadJSONWriter) in
            Base64Chunk.append(attachment.content, to: &writer.out)
        }
        guard let rawMessage else {
            writer.write(self, content: content)
            return writer.out
        }
        writer.writeMembers(self, content: content)
        writer.openRawBase64()
        Base64Chunk.append(rawMessage, to: &writer.out)
        writer.raw(#""}"#)
        return writer.out
    }

    /// The payload tree (serialise with `serialized()`, or hand `anyValue` to
    /// a template): what templates and `conduit parse` see. A delivery's
    /// default body is written by `PayloadJSONWriter` without it.
    public func jsonValue() -> JSONValue {
        .object(members(attachments: .array(message.attachments.map { attachment in
            .object(Self.attachmentMembers(attachment) + [("content_base64", .string(Data(attachment.content).base64EncodedString()))])
        })))
    }

    /// An attachment's members before `content_base64`, which is always last.
    static func attachmentMembers(_ attachment: MessageAttachment) -> [(String, JSONValue)] {
        [
            ("filename", .nullable(attachment.filename)),
            ("content_type", .nullable(attachment.contentType)),
            ("size", .int(attachment.size)),
            ("content_id", .nullable(attachment.contentID)),
            ("disposition", .nullable(attachment.disposition)),
        ]
    }

    /// The top-level members in the documented order, with `attachments` as given.
    func members(attachments: JSONValue) -> [(String, JSONValue)] {
        let message = message
        let context = context
        func address(_ value: MailAddress) -> JSONValue {
            .object([("name", .nullable(value.name)), ("address", .nullable(value.address))])
        }
        let envelope: JSONValue = .object([
            ("mail_from", .nullable(context.mailFrom)),
            ("rcpt_to", .nullable(context.rcptTo)),
            ("remote_ip", .nullable(context.remoteIP)),
            ("helo", .nullable(context.helo)),
            ("tls", context.tls.map(JSONValue.bool) ?? .null),
            ("auth_user", .nullable(context.authUser)),
        ])
        let auth: JSONValue = .object([
            ("spf", .object([("result", .nullable(context.spf?.result)), ("domain", .nullable(context.spf?.domain))])),
            ("dkim", .array(context.dkim.map { .object([("domain", .nullable($0.domain)), ("selector", .nullable($0.selector)), ("result", .nullable($0.result))]) })),
            ("dmarc", .object([
                ("result", .nullable(context.dmarc?.result)),
                ("domain", .nullable(context.dmarc.flatMap { $0.domain.isEmpty ? nil : $0.domain })),
                ("policy", .nullable(context.dmarc?.policy)),
                ("spf_aligned", context.dmarc.map { .bool($0.spfAligned) } ?? .null),
                ("dkim_aligned", context.dmarc.map { .bool($0.dkimAligned) } ?? .null),
            ])),
            ("arc", .object([("result", .nullable(context.arc?.result)), ("instances", context.arc.map { .int($0.instances) } ?? .null)])),
            ("results", .nullable(context.authenticationResults)),
        ])
        return [
            ("id", .nullable(context.id)),
            ("webhook_id", .nullable(context.webhookID)),
            ("redelivery_of", .nullable(context.redeliveryOf)),
            ("received_at", .nullable(context.receivedAt.map(MailDate.rfc3339))),
            ("envelope", envelope),
            ("auth", auth),
            ("message_id", .nullable(message.messageID)),
            ("subject", .nullable(message.subject)),
            ("date", .nullable(message.date.map(MailDate.rfc3339))),
            ("from", message.from.map(address) ?? .null),
            ("to", .array(message.to.map(address))),
            ("cc", .array(message.cc.map(address))),
            ("reply_to", .array(message.replyTo.map(address))),
            ("tag", .nullable(context.tag)),
            ("headers", .array(message.headers.map { .object([("name", .nullable($0.name)), ("value", .nullable($0.value))]) })),
            ("text", .nullable(message.text)),
            ("html", .nullable(message.html)),
            ("reply_text", .nullable(message.text.map(ReplyText.extract))),
            ("attachments", attachments),
            ("size", .int(message.size)),
        ]
    }
}
