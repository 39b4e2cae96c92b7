public import ConduitMIME
import Mustache

/// The body of a webhook POST: the DESIGN §6 JSON, or the webhook's
/// Mustache `payload_template` rendered over that same object with every
/// `{{value}}` escaped for the inside of a JSON string.
public enum PayloadRenderer {
    /// The registered name of `JSONStringContentType`.
    static let contentTypeName = "CONDUIT_JSON"

    private static let registration: Void = {
        MustacheContentTypes.register(JSONStringContentType(), named: contentTypeName)
    }()

    public static func render(message: ParsedMessage, context: PayloadContext, template: String?) -> [UInt8] {
        let payload = WebhookPayload.payloadJSON(message: message, context: context)
        guard let template, !template.isEmpty else { return Array(payload.serialized().utf8) }
        _ = registration
        // The pragma makes JSON escaping the default; a template may still
        // switch it or use `{{{raw}}}`, as Mustache allows.
        guard let compiled = try? MustacheTemplate(string: "{{% CONTENT_TYPE: \(contentTypeName)}}" + template) else {
            // Templates are validated when saved; one that no longer parses
            // (a library upgrade) falls back to the default body.
            return Array(payload.serialized().utf8)
        }
        return Array(compiled.render(mustacheValue(payload) ?? [String: Any]()).utf8)
    }

    /// The payload as Mustache sees it: `null` members are left out, so
    /// `{{tag}}` renders nothing and `{{#tag}}…{{/tag}}` is skipped for them.
    static func mustacheValue(_ value: JSONValue) -> Any? {
        switch value {
        case .null: nil
        case let .bool(bool): bool
        case let .int(int): int
        case let .string(string): string
        case let .array(values): values.compactMap(mustacheValue)
        case let .object(members):
            Dictionary(members.compactMap { key, member in mustacheValue(member).map { (key, $0) } }, uniquingKeysWith: { first, _ in first })
        }
    }
}

/// Escapes text for the inside of a JSON string literal (RFC 8259 §7).
struct JSONStringContentType: MustacheContentType {
    func escapeText(_ text: String) -> String {
        String(JSONValue.string(text).serialized().dropFirst().dropLast())
    }
}
