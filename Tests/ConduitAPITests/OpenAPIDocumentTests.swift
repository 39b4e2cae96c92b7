import ConduitAPI
import ConduitCore
import Foundation
import Testing

@Suite struct OpenAPIDocumentTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The served document is docs/openapi.json; run scripts/embed-openapi.py after editing it.
    @Test func servedDocumentIsTheRepositoryFile() throws {
        let file = try String(contentsOf: Self.repository.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        #expect(OpenAPIDocument.text == file.trimmingCharacters(in: .newlines))
    }

    @Test func documentIsOpenAPI31WithBearerAuth() throws {
        let json = try #require(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.text.utf8)) as? [String: Any])
        #expect((json["openapi"] as? String)?.hasPrefix("3.1") == true)
        let schemes = (json["components"] as? [String: Any])?["securitySchemes"] as? [String: Any]
        #expect(schemes?["bearerAuth"] != nil)
        let paths = try #require(json["paths"] as? [String: Any])
        #expect(paths["/api/v1/sessions"] != nil)
        #expect(paths["/healthz"] != nil)
    }

    /// `UpdateTimezoneRequest.timezone` lists exactly the names `TimeZoneName`
    /// accepts, so a schema-valid name is never 422 `invalid_timezone`
    /// (docs/RELIABILITY.md, "API fuzzing (schemathesis)").
    @Test func timezoneEnumIsWhatTheServerAccepts() throws {
        let json = try #require(JSONSerialization.jsonObject(with: Data(OpenAPIDocument.text.utf8)) as? [String: Any])
        let schemas = (json["components"] as? [String: Any])?["schemas"] as? [String: Any]
        let request = schemas?["UpdateTimezoneRequest"] as? [String: Any]
        let timezone = (request?["properties"] as? [String: Any])?["timezone"] as? [String: Any]
        let names = try #require(timezone?["enum"] as? [String])
        #expect(Set(names) == Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC"]))
        #expect(names.allSatisfy(TimeZoneName.isValid))
    }
}
