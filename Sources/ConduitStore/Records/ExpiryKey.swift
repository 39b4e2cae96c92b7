public import Foundation

/// Index keys that sort by time: Unix milliseconds, zero-padded to
/// `length` digits. Part of the on-disk layout (the `due`, `by_expiry` and
/// `due_by_webhook` indexes and `spool_kept` keys); changing it needs a
/// migration.
public enum ExpiryKey {
    /// Digits in every key: 15 covers every millisecond until the year 33658.
    public static let length = 15

    public static func of(_ date: Date) -> String {
        key(millis(date))
    }

    /// The smallest key above every key `of(date)` gives, so entries keyed at
    /// or before `date` are the ones below it (`list(…, below:)`). Computed
    /// in whole milliseconds: adding 1 ms to the `Date` first could round
    /// back onto the same key.
    public static func after(_ date: Date) -> String {
        key(millis(date) + 1)
    }

    /// The time at the start of a key made by `of(_:)` (whole milliseconds),
    /// or `nil` when the key does not start with `length` digits.
    static func date(ofKey key: [UInt8]) -> Date? {
        guard key.count >= length else { return nil }
        var millis: Int64 = 0
        for byte in key.prefix(length) {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            millis = millis * 10 + Int64(byte - 0x30)
        }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// What follows the time in a key that has more after it (`spool_kept`:
    /// the message id).
    static func suffix(ofKey key: [UInt8]) -> String {
        String(decoding: key.dropFirst(length), as: UTF8.self)
    }

    private static func millis(_ date: Date) -> Int64 {
        max(0, Int64(date.timeIntervalSince1970 * 1000))
    }

    private static func key(_ millis: Int64) -> String {
        let digits = String(millis)
        return String(repeating: "0", count: max(0, length - digits.count)) + digits
    }
}
