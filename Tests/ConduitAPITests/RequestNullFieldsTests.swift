import FoundationEssentials
import Testing
@testable import ConduitAPI

/// `null` is refused for the fields a partial update defines, and ignored
/// with every other unknown field (schemathesis found `{"": null}` refused
/// as "The body must be a JSON object", docs/RELIABILITY.md "API fuzzing").
@Suite struct RequestNullFieldsTests {
    static func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try APIJSON.decoder.decode(T.self, from: Data(json.utf8))
    }

    @Test func unknownFieldsMayBeNull() throws {
        let policy = try Self.decode(PoliciesController.PolicyRequest.self, #"{"": null, ".exe": null, "name": "p"}"#)
        #expect(policy.name == "p")
        let webhook = try Self.decode(WebhooksController.WebhookRequest.self, #"{"": null, "x": {"y": null}, "active": true}"#)
        #expect(webhook.active == true)
        let rotation = try Self.decode(WebhooksController.RotateSecretRequest.self, #"{"unknown": null}"#)
        #expect(rotation.secret == nil)
    }

    @Test func definedFieldsStillRefuseNull() throws {
        #expect(throws: DecodingError.self) { try Self.decode(PoliciesController.PolicyRequest.self, #"{"name": null}"#) }
        #expect(throws: DecodingError.self) { try Self.decode(WebhooksController.WebhookRequest.self, #"{"active": null}"#) }
        #expect(throws: DecodingError.self) { try Self.decode(WebhooksController.RotateSecretRequest.self, #"{"secret": null}"#) }
        // Except where null means something: unlimited max_payload_bytes.
        let webhook = try Self.decode(WebhooksController.WebhookRequest.self, #"{"max_payload_bytes": null}"#)
        #expect(webhook.max_payload_bytes == .some(nil))
    }
}
