import Glibc

/// Converts text in a MIME charset to a Swift string through glibc's iconv,
/// so every charset glibc knows works. Bytes that are invalid in the
/// charset become U+FFFD and conversion goes on after them; an unknown
/// charset is read as UTF-8 with replacement.
enum Charset {
    /// Labels mail uses that glibc spells differently, or where the mail
    /// world means a superset (as browsers do: WHATWG Encoding).
    private static let aliases: [String: String] = [
        "ks_c_5601-1987": "CP949", "ks_c_5601": "CP949", "x-windows-949": "CP949",
        "gb2312": "GBK", "x-gbk": "GBK", "x-sjis": "SHIFT_JIS", "shift-jis": "SHIFT_JIS",
        "iso-8859-8-i": "ISO-8859-8", "x-mac-roman": "MACINTOSH", "macintosh": "MACINTOSH",
        "x-user-defined": "WINDOWS-1252", "ansi_x3.4-1968": "ASCII", "ansi-x3.4-1968": "ASCII", "unicode-1-1-utf-7": "UTF-7",
    ]

    /// `bytes` in `charset` (a MIME label, any case) as a string.
    static func decode(_ bytes: [UInt8], charset: String?) -> String {
        let label = (charset ?? "us-ascii").trimmingWhitespace().lowercased()
        switch label {
        case "utf-8", "utf8", "":
            return String(decoding: bytes, as: UTF8.self)
        case "us-ascii", "ascii":
            // Mislabelled 8-bit text is nearly always UTF-8 today; reading it
            // so loses nothing for real ASCII (docs/MIME.md, charsets).
            return String(decoding: bytes, as: UTF8.self)
        default:
            return convert(bytes, from: aliases[label] ?? label) ?? String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Whether glibc's iconv can read `charset`.
    static func isKnown(_ charset: String) -> Bool {
        let label = charset.lowercased()
        let handle = iconv_open("UTF-8", aliases[label] ?? label)
        guard handle != iconv_t(bitPattern: -1) else { return false }
        iconv_close(handle)
        return true
    }

    /// iconv conversion to UTF-8, or `nil` when iconv does not know the charset.
    private static func convert(_ bytes: [UInt8], from charset: String) -> String? {
        let handle = iconv_open("UTF-8", charset)
        guard handle != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(handle) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = bytes
        input.withUnsafeMutableBufferPointer { inputBuffer in
            chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = inputBuffer.baseAddress.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: CChar.self) }
                var inLeft = inputBuffer.count
                let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
                while inLeft > 0 {
                    var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(chunkBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                    var outLeft = chunkBuffer.count
                    let result = iconv(handle, &inPointer, &inLeft, &outPointer, &outLeft)
                    output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - outLeft)])
                    guard result == -1 else { break }
                    switch errno {
                    case E2BIG:
                        continue
                    case EILSEQ:
                        // One bad byte: mark it and resynchronise after it.
                        output += replacement
                        inPointer = inPointer.map { $0 + 1 }
                        inLeft -= 1
                    default:
                        // EINVAL: a sequence cut off by the end of the text.
                        output += replacement
                        inLeft = 0
                    }
                }
                // Flush any shift state (ISO-2022-JP ends in ASCII).
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(chunkBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = chunkBuffer.count
                _ = iconv(handle, nil, nil, &outPointer, &outLeft)
                output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - outLeft)])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
