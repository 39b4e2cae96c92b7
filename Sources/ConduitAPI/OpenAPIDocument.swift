import Hummingbird

/// `GET /api/v1/openapi.json` (no auth): the API as OpenAPI 3.1. The source
/// is docs/openapi.json, embedded by scripts/embed-openapi.py.
public enum OpenAPIDocument {
    static func addRoutes(to router: Router<ConduitRequestContext>) {
        router.get("/api/v1/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
        }
    }

    /// The embedded document, for tests that compare it with docs/openapi.json.
    public static var text: String { json }
}
