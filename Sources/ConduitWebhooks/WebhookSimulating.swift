public import ConduitCore

/// `POST /webhooks/{id}/simulate` (docs/DELIVERY.md, "Simulate"): a synthetic message built
/// from these fields, delivered once through the real delivery path.
public struct SimulationInput: Sendable, Equatable {
    public var from: String
    public var subject: String
    public var text: String

    /// Checks and fills in the fields: `from` an address of at most 254
    /// bytes (default `simulator@conduit.invalid`), `subject` at most 998
    /// bytes, `text` at most 1 MiB; line breaks are not allowed in `from`
    /// and `subject` (they would forge headers).
    public init(from: String?, subject: String?, text: String?) throws(ResourceError) {
        let from = from ?? "simulator@conduit.invalid"
        let subject = subject ?? "Simulated message from Conduit"
        let text = text ?? "This is a simulated message sent by Conduit to test the webhook."
        guard from.utf8.count <= 254, from.contains("@"), !from.contains(where: \.isNewline),
              !from.contains(where: { $0 == "<" || $0 == ">" || $0 == " " || $0 == "\"" }) else {
            throw .invalid(code: "invalid_from", message: "from must be an email address of at most 254 bytes")
        }
        guard subject.utf8.count <= 998, !subject.contains(where: \.isNewline) else {
            throw .invalid(code: "invalid_subject", message: "subject must be one line of at most 998 bytes")
        }
        guard text.utf8.count <= 1 << 20 else {
            throw .invalid(code: "invalid_text", message: "text must be at most 1 MiB")
        }
        self.from = from
        self.subject = subject
        self.text = text
    }
}

/// What the single attempt came to (`SimulateWebhookResponse`).
public struct SimulationResult: Sendable, Equatable {
    public var httpStatus: Int?
    public var error: String?
    public var durationMs: Int

    public init(httpStatus: Int?, error: String?, durationMs: Int) {
        self.httpStatus = httpStatus
        self.error = error
        self.durationMs = durationMs
    }
}

/// Delivers a simulated message to a webhook (the delivery engine; the API
/// only sees this seam).
public protocol WebhookSimulating: Sendable {
    /// Delivers once, logs the attempt with `simulated: true`, and reports it.
    func simulate(webhook: Webhook, input: SimulationInput) async -> SimulationResult
}
