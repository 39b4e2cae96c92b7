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

    /// The payload tree (serialise with `serialized()`, or hand `anyValue` to a template).
    public func jsonValue() -> JSONValue {
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
        ])
        let attachments: [JSONValue] = message.attachments.map { attachment in
            .object([
                ("filename", .nullable(attachment.filename)),
                ("content_type", .nullable(attachment.contentType)),
                ("size", .int(attachment.size)),
                ("content_id", .nullable(attachment.contentID)),
                ("disposition", .nullable(attachment.disposition)),
                ("content_base64", .nullable(Data(attachment.content).base64EncodedString())),
            ])
        }
        return .object([
            ("id", .nullable(context.id)),
            ("webhook_id", .nullable(context.webhookID)),
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
            ("attachments", .array(attachments)),
            ("size", .int(message.size)),
        ])
    }
}
