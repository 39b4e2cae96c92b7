import Glibc

/// The `Retry-After` header (RFC 9110 §10.2.3): delay-seconds or an
/// HTTP-date, bounded to 1 s … 1 h (docs/DELIVERY.md, "Retries") so an endpoint can neither
/// make us hammer it nor park a message for days.
public enum RetryAfter {
    public static let minimum: Duration = .seconds(1)
    public static let maximum: Duration = .seconds(3600)

    /// - Parameter now: Unix seconds, for HTTP-dates.
    public static func parse(_ value: String, now: Double) -> Duration? {
        let text = value.trimmingSpaces
        if !text.isEmpty, text.utf8.count <= 12, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let seconds = Int(text) {
            return bounded(.seconds(seconds))
        }
        guard let date = httpDate(text) else { return nil }
        return bounded(.milliseconds(Int64(((date - now) * 1000).rounded())))
    }

    static func bounded(_ delay: Duration) -> Duration {
        min(max(delay, minimum), maximum)
    }

    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form RFC 9110
    /// requires senders to use; the obsolete forms are not accepted.
    static func httpDate(_ text: String) -> Double? {
        // "Sun, 06 Nov 1994 08:49:37 GMT": fixed width, so split by position.
        let b = Array(text.utf8)
        guard b.count == 29, b[3] == UInt8(ascii: ","), b[4] == 0x20, b[7] == 0x20, b[11] == 0x20, b[16] == 0x20,
              b[19] == UInt8(ascii: ":"), b[22] == UInt8(ascii: ":"), b[25] == 0x20,
              String(decoding: b[26...], as: UTF8.self) == "GMT",
              days.contains(String(decoding: b[0..<3], as: UTF8.self)),
              let month = months.firstIndex(of: String(decoding: b[8..<11], as: UTF8.self)),
              let day = number(b[5..<7]), let year = number(b[12..<16]),
              let hour = number(b[17..<19]), let minute = number(b[20..<22]), let second = number(b[23..<25]),
              (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        return Double(timegm(&parts))
    }

    private static let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return String(s)
    }
}
