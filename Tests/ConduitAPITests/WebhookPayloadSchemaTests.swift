import ConduitAPI
import Foundation
import Testing

@Suite struct WebhookPayloadSchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The served schema is docs/webhook-payload.schema.json; run scripts/embed-openapi.py after editing it.
    @Test func servedSchemaIsTheRepositoryFile() throws {
        let file = try String(contentsOf: Self.repository.appendingPathComponent("docs/webhook-payload.schema.json"), encoding: .utf8)
        #expect(WebhookPayloadSchema.text == file.trimmingCharacters(in: .newlines))
    }

    /// A closed draft 2020-12 object that requires every payload key but
    /// those only a payload format adds (docs/DELIVERY.md, "Payload formats")
    /// or only a body cut to `max_payload_bytes` has (docs/PAYLOAD.md).
    @Test func schemaIsDraft202012AndClosed() throws {
        let json = try #require(JSONSerialization.jsonObject(with: Data(WebhookPayloadSchema.text.utf8)) as? [String: Any])
        #expect(json["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
        #expect(json["additionalProperties"] as? Bool == false)
        let required = try #require(json["required"] as? [String])
        let properties = try #require(json["properties"] as? [String: Any])
        let optional: Set = ["raw_base64", "raw_url", "truncated"]
        #expect(Set(required) == Set(properties.keys).subtracting(optional))
        #expect(required.count == 20)
    }

    /// The OpenAPI document lists the schema's path, so 405s and clients know it.
    @Test func openAPIDocumentListsTheSchemaPath() throws {
        let json = try #require(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.text.utf8)) as? [String: Any])
        let paths = try #require(json["paths"] as? [String: Any])
        #expect(paths["/api/v1/webhook-payload.schema.json"] != nil)
    }
}
