/// Base64 text that can go into a JSON `content_base64` as it is.
///
/// A payload carries an attachment as standard base64 (RFC 4648 §4, padded,
/// no line breaks), and mail nearly always carries it as base64 already,
/// in lines. When the mail's text is *canonical* — alphabet characters and
/// blanks or line breaks only, a whole number of 4-character groups, `=`
/// only as the last group's padding, and zero padding bits — then decoding
/// it and encoding the bytes again gives back exactly those characters
/// without the blanks and line breaks. Copying them is a filtered memory
/// copy instead of a decode and an encode per byte (both passes of a
/// streamed POST, signing and sending, read every attachment).
/// Anything else (a stray character, a missing pad, a lone `=`, non-zero
/// pad bits) is not canonical and goes through `TransferDecoder`, whose
/// lenient rules then decide the bytes.
public enum Base64Text {
    /// The decoded size of the bytes `range` of `bytes` when they are
    /// canonical base64 text, else `nil`.
    public static func canonicalDecodedSize(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) -> Int? {
        // The table is read through a pointer taken once: a static's
        // accessor per byte (its once-check) would cost more than the work.
        sextet.withUnsafeBufferPointer { table in
            var characters = 0
            var padding = 0
            var lastValue: UInt8 = 0
            for index in range {
                let value = table[Int(bytes[index])]
                if value < 64 {
                    // Nothing may follow padding but blanks.
                    guard padding == 0 else { return nil }
                    characters += 1
                    lastValue = value
                } else if value == equals {
                    padding += 1
                    guard padding <= 2 else { return nil }
                } else if value != blank {
                    return nil
                }
            }
            guard (characters + padding) % 4 == 0 else { return nil }
            // `xxx=`: the third character's low 2 bits are padding; `xx==`: the second's low 4.
            let padBits: UInt8 = padding == 0 ? 0 : padding == 1 ? 0b11 : 0b1111
            guard lastValue & padBits == 0 else { return nil }
            return (characters + padding) / 4 * 3 - padding
        }
    }

    /// Copies canonical base64 text from `position` without its blanks and
    /// line breaks: at most `limit` characters are appended to `out`.
    /// Returns the position after the last byte read (`end` when done).
    public static func copy(
        _ bytes: UnsafeRawBufferPointer, from position: Int, to end: Int, limit: Int, into out: inout [UInt8]
    ) -> Int {
        sextet.withUnsafeBufferPointer { table in
            var index = position
            var left = limit
            while index < end, left > 0 {
                // A run of characters up to the next blank or line break: one copy.
                var stop = index
                let runEnd = min(end, index + left)
                while stop < runEnd, table[Int(bytes[stop])] != blank { stop += 1 }
                if stop > index {
                    out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[index..<stop]))
                    left -= stop - index
                    index = stop
                }
                while index < end, table[Int(bytes[index])] == blank { index += 1 }
            }
            return index
        }
    }

    private static let equals: UInt8 = 0xFE
    private static let blank: UInt8 = 0xFD
    private static let outside: UInt8 = 0xFF

    /// Each byte's sextet value, or `equals`, `blank` (CR, LF, space, tab) or `outside`.
    private static let sextet: [UInt8] = {
        var table = [UInt8](repeating: outside, count: 256)
        for (value, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(value)
        }
        table[Int(UInt8(ascii: "="))] = equals
        for character in [UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\t")] {
            table[Int(character)] = blank
        }
        return table
    }()
}
