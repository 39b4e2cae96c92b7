import Hummingbird

/// `GET /api/v1/webhook-payload.schema.json` (no auth): the JSON Schema
/// (draft 2020-12) of the default webhook body, so receivers can validate
/// what they get. The source is docs/webhook-payload.schema.json (the prose
/// is docs/PAYLOAD.md), embedded by scripts/embed-openapi.py.
public enum WebhookPayloadSchema {
    static func addRoutes(to router: Router<ConduitRequestContext>) {
        router.get("/api/v1/webhook-payload.schema.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/schema+json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
        }
    }

    /// The embedded schema, for tests that compare it with the repository file.
    public static var text: String { json }
}
