import Testing
@testable import ConduitIdentity

/// Token names and passwords are measured in Unicode code points, as
/// openapi.json's `minLength`/`maxLength` count them (docs/RELIABILITY.md,
/// "API fuzzing (schemathesis)").
@Suite struct IdentityFieldLengthTests {
    /// "e" + COMBINING ACUTE ACCENT: one Character, two code points.
    static let accented = "e\u{301}"

    @Test func tokenNamesCountCodePoints() throws {
        #expect(throws: IdentityError.invalidName) { try IdentityService.tokenName(String(repeating: Self.accented, count: 51)) }
        #expect(try IdentityService.tokenName(String(repeating: Self.accented, count: 50)).unicodeScalars.count == 100)
        // Counted as sent: the white space trimmed off counts too.
        #expect(throws: IdentityError.invalidName) { try IdentityService.tokenName(" " + String(repeating: Self.accented, count: 50)) }
        #expect(try IdentityService.tokenName(" " + String(repeating: Self.accented, count: 49) + " ") == String(repeating: Self.accented, count: 49))
        #expect(throws: IdentityError.invalidName) { try IdentityService.tokenName(" \u{3000}\t") }
    }

    @Test func passwordsCountCodePoints() throws {
        // Four Characters, eight code points: long enough.
        try IdentityService.validatePassword(String(repeating: Self.accented, count: 4))
        #expect(throws: IdentityError.invalidPassword) { try IdentityService.validatePassword(String(repeating: Self.accented, count: 65)) }
    }
}
