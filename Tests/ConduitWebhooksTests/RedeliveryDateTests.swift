import Testing
@testable import ConduitWebhooks

/// `since` and `until` are RFC 3339 date-times with every field in range:
/// schemathesis had `2024-01-01T12:99:00Z` accepted (docs/RELIABILITY.md,
/// "API fuzzing (schemathesis)").
@Suite struct RedeliveryDateTests {
    @Test func fieldsOutOfRangeAreRefused() {
        for raw in [
            "2024-01-01T12:99:00Z", "2024-01-01T24:00:00Z", "2024-01-01T12:00:60Z", "2024-13-01T12:00:00Z",
            "2024-00-01T12:00:00Z", "2023-02-29T12:00:00Z", "2024-04-31T12:00:00Z", "2024-01-01T12:00:00+18:00",
            "2024-01-01T12:00:00+01:60", "2024-01-01T12:00:00.Z", "2024-01-01T12:00:00Zx", "2024-01-01 12:00:00Z",
        ] {
            #expect(throws: ResourceError.self, "\(raw)") { try RedeliveryFilter.date(raw, field: "since") }
        }
    }

    @Test func rfc3339IsAccepted() throws {
        for raw in [
            "2024-01-01T12:59:59Z", "2024-02-29T00:00:00z", "2024-12-31t23:59:59.123456+17:59", "1000-01-01T00:00:00-14:00",
        ] {
            _ = try RedeliveryFilter.date(raw, field: "since")
        }
    }
}
