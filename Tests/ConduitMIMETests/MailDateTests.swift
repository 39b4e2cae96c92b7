import Foundation
import Testing
import ConduitMIME

/// RFC 5322 dates.
@Suite struct MailDateTests {
    private func utc(_ text: String) -> String? { MailDate.parse(text).map(MailDate.rfc3339) }

    @Test func standardForms() {
        #expect(utc("Tue, 01 Apr 2025 12:00:00 +0200") == "2025-04-01T10:00:00Z")
        #expect(utc("1 Apr 2025 12:00 -0130") == "2025-04-01T13:30:00Z")
        #expect(utc("Fri, 20 Apr 2001 19:35:02 -0400") == "2001-04-20T23:35:02Z")
    }

    @Test func obsoleteForms() {
        #expect(utc("Mon, 3 Mar 25 09:15:00 EST") == "2025-03-03T14:15:00Z")
        #expect(utc("Thu, 1 Jan 70 00:00:00 GMT") == "1970-01-01T00:00:00Z")
        #expect(utc("Mon, 3 Mar 2025 09:15:00 -0500 (EST)") == "2025-03-03T14:15:00Z")
        #expect(utc("Mon Mar  3 09:15:00 2025") == "2025-03-03T09:15:00Z")
        #expect(utc("29 Feb 2024 23:59:60 +0000") == "2024-03-01T00:00:00Z")
    }

    @Test func notDates() {
        #expect(utc("not a date") == nil)
        #expect(utc("") == nil)
        #expect(utc("1 Foo 2025 10:00:00 +0000") == nil)
        #expect(utc("1 Jan 99999999999999999 10:00:00 +0000") == nil)
        #expect(utc("1 Jan 2025 25:00:00 +0000") == nil)
        #expect(utc("1 Jan -99999999999999999 10:00:00 +0000") == nil)
    }
}
