/// Strict base64 (RFC 4648 §4, standard alphabet, `=` padding) for DKIM's
/// `b=`, `bh=` and key `p=` values.
enum DKIMBase64 {
    /// Decodes `text`, whose length must be a multiple of four; `nil` for a
    /// byte outside the alphabet or padding anywhere but at the end.
    static func decode(_ text: [UInt8]) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 4 * 3)
        var index = 0
        while index < text.count {
            let isLast = index + 4 == text.count
            var quad: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let byte = text[index + offset]
                if byte == DKIMASCII.equals {
                    // Padding: only in the last quantum, only its last one or two bytes.
                    guard isLast, offset >= 2 else { return nil }
                    padding += 1
                    quad <<= 6
                } else {
                    guard padding == 0, let sextet = value(of: byte) else { return nil }
                    quad = quad << 6 | UInt32(sextet)
                }
            }
            out.append(UInt8(truncatingIfNeeded: quad >> 16))
            if padding < 2 { out.append(UInt8(truncatingIfNeeded: quad >> 8)) }
            if padding < 1 { out.append(UInt8(truncatingIfNeeded: quad)) }
            index += 4
        }
        return out
    }

    private static func value(of byte: UInt8) -> UInt8? {
        switch byte {
        case 0x41...0x5A: byte - 0x41  // A-Z
        case 0x61...0x7A: byte - 0x61 + 26  // a-z
        case 0x30...0x39: byte - 0x30 + 52  // 0-9
        case 0x2B: 62  // +
        case 0x2F: 63  // /
        default: nil
        }
    }
}
