public import ConduitCore
public import Foundation

/// Which of a webhook's finished deliveries `POST /webhooks/{id}/redeliver`
/// replays (docs/DELIVERY.md, "Redelivery"): by the state of the message's
/// latest delivery to that recipient, and by when the message arrived.
public struct RedeliveryFilter: Sendable, Equatable {
    /// Finished states only: pending deliveries are never replayed.
    public var states: Set<Delivery.State>
    /// Bounds of the message's `received_at`, both included.
    public var since: Date?
    public var until: Date?

    public init(states: Set<Delivery.State> = [.failed], since: Date? = nil, until: Date? = nil) {
        self.states = states
        self.since = since
        self.until = until
    }

    /// From the request's fields: `status` one of `failed` (the default),
    /// `dead`, `delivered`, `any` (all three); `since` and `until` RFC 3339
    /// date-times with `since` ≤ `until`. Anything else is 422.
    public init(status: String?, since: String?, until: String?) throws(ResourceError) {
        switch status ?? "failed" {
        case "failed": states = [.failed]
        case "dead": states = [.dead]
        case "delivered": states = [.delivered]
        case "any": states = [.failed, .dead, .delivered]
        default:
            throw .invalid(code: "invalid_status", message: "status must be one of failed, dead, delivered, any")
        }
        self.since = try since.map { raw throws(ResourceError) in try Self.date(raw, field: "since") }
        self.until = try until.map { raw throws(ResourceError) in try Self.date(raw, field: "until") }
        if let from = self.since, let to = self.until, from > to {
            throw .invalid(code: "invalid_range", message: "since must not be later than until")
        }
    }

    /// Whether a message received at `date` is inside the bounds.
    public func contains(receivedAt date: Date) -> Bool {
        if let since, date < since { return false }
        if let until, date > until { return false }
        return true
    }

    /// An RFC 3339 date-time (`2026-12-06T13:45:00Z`, fractions and
    /// offsets allowed); at most 64 bytes.
    static func date(_ raw: String, field: String) throws(ResourceError) -> Date {
        let invalid = ResourceError.invalid(code: "invalid_\(field)", message: "\(field) must be an RFC 3339 date-time, e.g. 2026-12-06T13:45:00Z")
        // "T" or "t" between date and time, as RFC 3339 allows; the parser wants "T".
        guard raw.utf8.count <= 64, raw.utf8.count >= 20, fieldsAreInRange(raw) else { throw invalid }
        let text = raw.replacingOccurrences(of: "t", with: "T").replacingOccurrences(of: "z", with: "Z")
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        throw invalid
    }

    /// `YYYY-MM-DD[Tt]hh:mm:ss[.fraction]` then `Z`, `z` or `±hh:mm`, every
    /// field in range (the day for its month, offsets up to ±17:59). The
    /// ISO 8601 parser alone carried `12:99:00` over into the next hour
    /// (schemathesis, docs/RELIABILITY.md "API fuzzing (schemathesis)").
    static func fieldsAreInRange(_ raw: String) -> Bool {
        let bytes = Array(raw.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ index: Int, _ allowed: String) -> Bool { index < bytes.count && allowed.utf8.contains(bytes[index]) }
        guard let year = number(0, 4), byte(4, "-"), let month = number(5, 2), byte(7, "-"), let day = number(8, 2),
              byte(10, "Tt"), let hour = number(11, 2), byte(13, ":"), let minute = number(14, 2), byte(16, ":"),
              let second = number(17, 2)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...daysInMonth[month - 1]).contains(day), hour < 24, minute < 60, second < 60 else { return false }
        var index = 19
        if byte(index, ".") {
            index += 1
            let digits = bytes[index...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            guard digits > 0 else { return false }
            index += digits
        }
        if byte(index, "Zz") { return index + 1 == bytes.count }
        guard byte(index, "+-"), let offsetHours = number(index + 1, 2), byte(index + 3, ":"), let offsetMinutes = number(index + 4, 2) else { return false }
        return index + 6 == bytes.count && offsetHours < 18 && offsetMinutes < 60
    }
}
