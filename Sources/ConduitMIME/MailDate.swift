public import Foundation

/// RFC 5322 §3.3 dates with the obsolete forms (§4.3): optional weekday,
/// two-digit years, missing seconds, named zones, comments. A zone that is
/// unknown or `-0000` is read as UTC (Python's email leaves those dates
/// without a zone; docs/MIME.md).
public enum MailDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let zones: [String: Int] = [
        "ut": 0, "utc": 0, "gmt": 0, "z": 0, "est": -300, "edt": -240, "cst": -360, "cdt": -300,
        "mst": -420, "mdt": -360, "pst": -480, "pdt": -420,
    ]

    /// The instant a Date header names, or `nil` when it is not a date.
    public static func parse(_ text: String) -> Date? {
        var cleaned = ""
        var depth = 0
        for character in text {
            if character == "(" { depth += 1; continue }
            if character == ")" { depth = max(0, depth - 1); continue }
            if depth == 0 { cleaned.append(character == "," ? " " : character) }
        }
        var words = cleaned.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { $0.lowercased() }
        if let first = words.first, first.allSatisfy(\.isLetter), !months.contains(String(first.prefix(3))) {
            words.removeFirst()
        }
        guard words.count >= 4 else { return nil }
        // "1 Jan 2025" or (asctime style) "Jan 1 …"
        var day: Int?
        var month: Int?
        if let d = Int(words[0]), let m = months.firstIndex(of: String(words[1].prefix(3))) {
            (day, month) = (d, m + 1)
        } else if let m = months.firstIndex(of: String(words[0].prefix(3))), let d = Int(words[1]) {
            (day, month) = (d, m + 1)
        }
        guard let day, let month, (1...31).contains(day) else { return nil }
        var rest = Array(words[2...])
        // The year may come after the time (asctime).
        guard let yearIndex = rest.firstIndex(where: { Int($0) != nil }), var year = Int(rest[yearIndex]) else { return nil }
        rest.remove(at: yearIndex)
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        guard (1...9999).contains(year) else { return nil }
        guard let timeIndex = rest.firstIndex(where: { $0.contains(":") }) else { return nil }
        let clock = rest[timeIndex].split(separator: ":").map { Int($0) }
        rest.remove(at: timeIndex)
        guard clock.count >= 2, clock.count <= 3, let hour = clock[0], let minute = clock[1],
              (0...23).contains(hour), (0...59).contains(minute) else { return nil }
        let second = clock.count == 3 ? (clock[2] ?? 0) : 0
        guard (0...60).contains(second) else { return nil }
        let offsetMinutes = rest.first.map(zoneOffset) ?? 0
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = ((days * 24 + hour) * 60 + minute) * 60 + second - offsetMinutes * 60
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }

    /// `date` as RFC 3339 UTC with whole seconds (`2025-04-01T10:00:00Z`).
    public static func rfc3339(_ date: Date) -> String {
        var out: [UInt8] = []
        appendRFC3339(date, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `rfc3339(date)` appended to `out` as UTF-8 (the payload writer's form).
    public static func appendRFC3339(_ date: Date, to out: inout [UInt8]) {
        let total = Int(date.timeIntervalSince1970.rounded(.down))
        let days = total >= 0 ? total / 86400 : (total - 86399) / 86400
        let secondsOfDay = total - days * 86400
        let (year, month, day) = civilFromDays(days)
        func two(_ value: Int, then separator: Unicode.Scalar) {
            out.append(UInt8(ascii: "0") + UInt8(value / 10))
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
            out.append(UInt8(ascii: separator))
        }
        // The year padded with zeros to four characters (a sign counts as one).
        let yearText = String(year)
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, 4 - yearText.utf8.count)))
        out.append(contentsOf: yearText.utf8)
        out.append(UInt8(ascii: "-"))
        two(month, then: "-")
        two(day, then: "T")
        two(secondsOfDay / 3600, then: ":")
        two(secondsOfDay / 60 % 60, then: ":")
        two(secondsOfDay % 60, then: "Z")
    }

    private static func zoneOffset(_ zone: String) -> Int {
        if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()) {
            let minutes = value / 100 * 60 + value % 100
            return sign == "-" ? -minutes : minutes
        }
        return zones[zone] ?? 0
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    private static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
