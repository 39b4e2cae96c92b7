import Testing
@testable import ConduitWebhooks

/// Names and SMTP AUTH passwords are measured in Unicode code points, as
/// openapi.json's `maxLength` counts them: schemathesis had a 101-code-point
/// policy name of 100 grapheme clusters accepted (docs/RELIABILITY.md, "API
/// fuzzing (schemathesis)").
@Suite struct FieldLengthTests {
    /// "e" + COMBINING ACUTE ACCENT: one Character, two code points.
    static let accented = "e\u{301}"

    @Test func policyNamesCountCodePoints() throws {
        #expect(throws: ResourceError.self) { try FieldRules.name(String(repeating: Self.accented, count: 51)) }
        #expect(try FieldRules.name(String(repeating: Self.accented, count: 50)).unicodeScalars.count == 100)
        // Counted as sent: the white space trimmed off counts too.
        #expect(throws: ResourceError.self) { try FieldRules.name(String(repeating: Self.accented, count: 50) + " ") }
        #expect(throws: ResourceError.self) { try FieldRules.name("\u{2028}") }
    }

    @Test func credentialPasswordsCountCodePoints() throws {
        // Four Characters, eight code points: long enough.
        let accepted = try FieldRules.credentials("alice:" + String(repeating: Self.accented, count: 4))
        #expect(accepted.count == 1)
        #expect(throws: ResourceError.self) { try FieldRules.credentials("alice:" + String(repeating: Self.accented, count: 65)) }
    }
}
