import ConduitCore
public import ConduitMIME
import ConduitWebhooks
import Foundation
import Mustache

/// The body of a webhook POST: the docs/PAYLOAD.md JSON, or the webhook's
/// Mustache `payload_template` rendered over that same object with every
/// `{{value}}` escaped for the inside of a JSON string.
///
/// A template's rendering is bounded (`RenderBudget`) and runs on
/// `renderThreads`, never on Swift's cooperative pool: a heavy template
/// costs one of those threads for a bounded time while the API, SMTP and
/// other deliveries go on.
public enum PayloadRenderer {
    /// The registered name of `JSONStringContentType`.
    static let contentTypeName = "CONDUIT_JSON"

    private static let registration: Void = {
        MustacheContentTypes.register(JSONStringContentType(), named: contentTypeName)
    }()

    /// Dedicated threads for building and rendering bodies: half the cores
    /// (at least one), so renders never take every core from the listeners.
    static let renderThreads = BlockingWork(width: max(1, ProcessInfo.processInfo.activeProcessorCount / 2))

    /// Builds the body on `renderThreads`.
    /// - Throws: `TemplateRenderError` when the template passes its budget
    ///   or cannot be rendered safely; the attempt fails for good.
    public static func render(message: ParsedMessage, context: PayloadContext, template: String?) async throws -> [UInt8] {
        try await renderThreads.run { try renderNow(message: message, context: context, template: template) }
    }

    /// Builds the body on the calling thread (tests; `render` runs this on
    /// the render threads).
    static func renderNow(message: ParsedMessage, context: PayloadContext, template: String?, budget: RenderBudget? = nil) throws -> [UInt8] {
        let payload = WebhookPayload(message: message, context: context)
        let defaultBody = payload.compactJSON()
        guard let template, !template.isEmpty else { return defaultBody }
        let budget = budget ?? .forDefaultBody(bytes: defaultBody.count)
        // Templates are checked when saved; one saved before those checks
        // existed must not crash the parser (it recurses per nested section).
        let shape = TemplateShape.scan(template)
        guard shape.depth <= TemplateLimits.maxDepth, template.utf8.count <= TemplateLimits.maxBytes else {
            throw TemplateRenderError.unsafe("it is longer than \(TemplateLimits.maxBytes) bytes or nests sections deeper than \(TemplateLimits.maxDepth)")
        }
        _ = registration
        // The pragma makes JSON escaping the default; a template may still
        // switch it or use `{{{raw}}}`, as Mustache allows.
        guard let compiled = try? MustacheTemplate(string: "{{% CONTENT_TYPE: \(contentTypeName)}}" + template) else {
            // A template that no longer parses (a library upgrade) falls
            // back to the default body.
            return defaultBody
        }
        let meter = RenderMeter(budget: budget, shape: shape)
        // The template's own text outside any section renders once.
        _ = meter.charge(bytes: template.utf8.count)
        let view = MeteredView.build(payload.jsonValue(), meter: meter).node ?? [String: Any]()
        let rendered = compiled.render(view)
        if let exceeded = meter.exceeded { throw exceeded }
        let body = Array(rendered.utf8)
        guard body.count <= budget.maxOutputBytes else { throw TemplateRenderError.output(budget.maxOutputBytes) }
        return body
    }
}

/// Escapes text for the inside of a JSON string literal (RFC 8259 §7).
struct JSONStringContentType: MustacheContentType {
    func escapeText(_ text: String) -> String {
        String(JSONValue.string(text).serialized().dropFirst().dropLast())
    }
}
