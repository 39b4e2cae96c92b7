import Glibc
import Synchronization

/// Opaque, URL-safe, time-ordered identifiers (docs/API.md, "General").
///
/// 26 characters of lowercase Crockford base32: 48 bits of Unix milliseconds
/// followed by 80 bits that are random for the first id of a millisecond and
/// incremented for each further id in it, so ids sort lexicographically in
/// creation order even within one millisecond (the ULID scheme).
public struct Identifier: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The textual form, always 26 characters of `0-9a-hjkmnp-tv-z`.
    public let rawValue: String

    public var description: String { rawValue }

    public static func < (lhs: Identifier, rhs: Identifier) -> Bool { lhs.rawValue < rhs.rawValue }

    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)
    private static let generator = Mutex<(millis: UInt64, random: [UInt8])>((0, []))

    /// Accepts a string of the id form, `nil` for anything else (so a foreign
    /// string in a URL path never reaches a database lookup as an id).
    public init?(_ string: String) {
        guard string.utf8.count == 26, string.utf8.allSatisfy({ Self.alphabet.contains($0) }) else { return nil }
        // The first character carries only 3 bits of the 48-bit timestamp.
        guard let first = string.utf8.first, first <= UInt8(ascii: "7") else { return nil }
        rawValue = string
    }

    /// A new id for the current wall-clock time.
    public static func generate(nowMillis: UInt64 = currentMillis()) -> Identifier {
        let (millis, random) = generator.withLock { state -> (UInt64, [UInt8]) in
            if nowMillis <= state.millis, !state.random.isEmpty {
                // Same (or earlier, clock stepped back) millisecond: keep order by incrementing.
                var next = state.random
                var index = next.count - 1
                while index >= 0 {
                    next[index] &+= 1
                    if next[index] != 0 { break }
                    index -= 1
                }
                if index < 0 {
                    // 2^80 ids in one millisecond: move to the next one instead of wrapping.
                    state.millis += 1
                    next = SecureRandom.bytes(10)
                }
                state.random = next
            } else {
                state = (nowMillis, SecureRandom.bytes(10))
            }
            return (state.millis, state.random)
        }
        return Identifier(encoding: millis, random: random)
    }

    /// The smallest id of millisecond `millis`: every id generated at or
    /// after that time sorts at or above it (a scan's starting point).
    public static func lowest(atMillis millis: UInt64) -> Identifier {
        Identifier(encoding: min(millis, (1 << 48) - 1), random: [UInt8](repeating: 0, count: 10))
    }

    private init(encoding millis: UInt64, random: [UInt8]) {
        // 128 bits: 48 time + 80 random, emitted as 26 five-bit groups (130 bits, top 2 zero).
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> UInt64(8 * (5 - i))) }
        for i in 0..<10 { bytes[6 + i] = random[i] }
        var chars = [UInt8](repeating: 0, count: 26)
        for position in 0..<26 {
            // Bit offset of this group within the 130-bit big-endian number.
            let bitFromTop = position * 5 - 2
            var value = 0
            for b in 0..<5 {
                let bit = bitFromTop + b
                guard bit >= 0 else { continue }
                let byte = bytes[bit / 8]
                value = value << 1 | Int(byte >> UInt8(7 - bit % 8) & 1)
            }
            chars[position] = Self.alphabet[value]
        }
        rawValue = String(decoding: chars, as: UTF8.self)
    }

    /// Milliseconds since the Unix epoch.
    public static func currentMillis() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(ts.tv_sec) * 1000 + UInt64(ts.tv_nsec) / 1_000_000
    }
}
