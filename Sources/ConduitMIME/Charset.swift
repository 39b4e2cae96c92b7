import Glibc

/// Converts text in a MIME charset to a Swift string through glibc's iconv,
/// so every charset glibc knows works. No byte vanishes: whatever cannot be
/// decoded becomes U+FFFD and the text around it is kept (docs/MIME.md,
/// charsets). UTF-8 (and unlabelled or ASCII-labelled text, an unknown
/// charset) is decoded by Swift, one U+FFFD per maximal invalid subpart
/// (Unicode §3.9, the WHATWG Encoding practice); other charsets go through
/// iconv, one U+FFFD per code unit iconv rejects, resuming right after it.
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
        var replacements = 0
        return decode(bytes, charset: charset, replacements: &replacements)
    }

    /// `bytes` in `charset` as a string; adds to `replacements` the number
    /// of U+FFFD put in for bytes that could not be decoded.
    static func decode(_ bytes: [UInt8], charset: String?, replacements: inout Int) -> String {
        let label = (charset ?? "us-ascii").trimmingWhitespace().lowercased()
        switch label {
        case "utf-8", "utf8", "":
            return utf8(bytes, replacements: &replacements)
        case "us-ascii", "ascii":
            // Mislabelled 8-bit text is nearly always UTF-8 today; reading it
            // so loses nothing for real ASCII (docs/MIME.md, charsets).
            return utf8(bytes, replacements: &replacements)
        default:
            return convert(bytes, from: aliases[label] ?? label, replacements: &replacements)
                ?? utf8(bytes, replacements: &replacements)
        }
    }

    /// Whether text in `charset` is read as UTF-8 without iconv: UTF-8, ASCII
    /// or no charset (the labels `decode` reads so before trying iconv).
    static func isUTF8(_ charset: String?) -> Bool {
        guard let charset else { return true }
        switch charset.trimmingWhitespace().lowercased() {
        case "utf-8", "utf8", "", "us-ascii", "ascii": return true
        default: return false
        }
    }

    /// `bytes` as UTF-8, each maximal invalid subpart replaced by U+FFFD
    /// (what `String(decoding:as:)` does), counting the replacements.
    static func utf8<C: Collection<UInt8>>(_ bytes: C, replacements: inout Int) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        // Every replacement puts the byte 0xEF in the output: text without
        // it was valid, and only the rest pays for a pass counting errors.
        guard text.utf8.contains(0xEF) else { return text }
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .error: replacements += 1
            case .emptyInput: return text
            }
        }
    }

    /// The width in bytes of one code unit of an iconv `charset`: after an
    /// invalid unit iconv must resume at the next unit, not inside it, or
    /// the rest of a UTF-16 text would be read misaligned.
    private static func unitWidth(_ charset: String) -> Int {
        let name = charset.uppercased()
        if name.hasPrefix("UTF-32") || name.hasPrefix("UCS-4") || name.hasPrefix("UTF32") || name.hasPrefix("UCS4") { return 4 }
        if name.hasPrefix("UTF-16") || name.hasPrefix("UCS-2") || name.hasPrefix("UTF16") || name.hasPrefix("UCS2") { return 2 }
        return 1
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
    private static func convert(_ bytes: [UInt8], from charset: String, replacements: inout Int) -> String? {
        let handle = iconv_open("UTF-8", charset)
        guard handle != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(handle) }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 2)
        var chunk = [UInt8](repeating: 0, count: 4096)
        var input = bytes
        let width = unitWidth(charset)
        var replaced = 0
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
                    default:
                        // EILSEQ: an invalid unit. EINVAL: a sequence iconv
                        // takes as cut off (at the end, or a 4-byte GB18030
                        // lead with too few bytes left). Either way: mark one
                        // unit and resynchronise after it, so nothing that
                        // follows is lost.
                        let skip = min(width, inLeft)
                        output += replacement
                        replaced += 1
                        inPointer = inPointer.map { $0 + skip }
                        inLeft -= skip
                    }
                }
                // Flush any shift state (ISO-2022-JP ends in ASCII).
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(chunkBuffer.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = chunkBuffer.count
                _ = iconv(handle, nil, nil, &outPointer, &outLeft)
                output.append(contentsOf: chunkBuffer[0..<(chunkBuffer.count - outLeft)])
            }
        }
        replacements += replaced
        return String(decoding: output, as: UTF8.self)
    }
}
