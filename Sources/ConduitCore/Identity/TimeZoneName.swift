import Foundation

/// IANA time-zone names, checked against the system's tz database.
public enum TimeZoneName {
    private static let known: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers).union(["UTC"])

    /// `true` for names like `Europe/Berlin` or `UTC` that the tz database knows.
    public static func isValid(_ name: String) -> Bool {
        name.utf8.count <= 64 && known.contains(name)
    }
}
