/// Content-Transfer-Encoding decoders (RFC 2045 §6). Both are total:
/// malformed input decodes to what can be recovered, never an error.
enum TransferEncoding {
    /// Removes the transfer encoding named by `name` (any case); 7bit,
    /// 8bit, binary and unknown encodings leave the bytes as they are.
    static func decode<C: Collection<UInt8>>(_ bytes: C, name: String?, defects: inout [String]) -> [UInt8] {
        switch name?.trimmingWhitespace().lowercased() {
        case "base64": return base64(bytes, defects: &defects)
        case "quoted-printable": return quotedPrintable(bytes)
        default: return Array(bytes)
        }
    }

    /// Base64, skipping every byte outside the alphabet (line breaks,
    /// garbage) and ending at the first `=`, as Python's binascii does; a
    /// final group of 2 or 3 characters still yields its 1 or 2 bytes.
    static func base64<C: Collection<UInt8>>(_ bytes: C, defects: inout [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3 / 4)
        var buffer: UInt32 = 0
        var count = 0
        var skipped = false
        for byte in bytes {
            if byte == UInt8(ascii: "=") {
                if count >= 2 { break }
                continue
            }
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                continue
            default:
                skipped = true
                continue
            }
            buffer = buffer << 6 | UInt32(value)
            count += 1
            if count == 4 {
                out += [UInt8(truncatingIfNeeded: buffer >> 16), UInt8(truncatingIfNeeded: buffer >> 8), UInt8(truncatingIfNeeded: buffer)]
                buffer = 0
                count = 0
            }
        }
        switch count {
        case 2: out.append(UInt8(truncatingIfNeeded: buffer >> 4))
        case 3: out += [UInt8(truncatingIfNeeded: buffer >> 10), UInt8(truncatingIfNeeded: buffer >> 2)]
        case 1: defects.append("base64 ends in a lone character")
        default: break
        }
        if skipped { defects.append("base64 contains characters outside the alphabet") }
        return out
    }

    /// Quoted-printable: `=XX` (either case) is a byte, `=` before the line
    /// end (trailing blanks allowed) is a soft break, any other `=` stays
    /// as it is. Line ends and trailing blanks are kept, as Python does.
    static func quotedPrintable<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            guard byte == UInt8(ascii: "=") else {
                out.append(byte)
                index += 1
                continue
            }
            var blank = index + 1
            while blank < input.count, input[blank] == UInt8(ascii: " ") || input[blank] == UInt8(ascii: "\t") { blank += 1 }
            if blank == input.count {
                index = blank
            } else if input[blank] == UInt8(ascii: "\n") {
                index = blank + 1
            } else if input[blank] == UInt8(ascii: "\r"), blank + 1 < input.count, input[blank + 1] == UInt8(ascii: "\n") {
                index = blank + 2
            } else if index + 2 < input.count, let high = hex(input[index + 1]), let low = hex(input[index + 2]) {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return out
    }

    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
