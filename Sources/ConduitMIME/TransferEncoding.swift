/// Content-Transfer-Encoding decoders (RFC 2045 §6) in one call, over
/// `TransferDecoder`. Both are total: malformed input decodes to what can
/// be recovered, never an error.
enum TransferEncoding {
    /// Removes the transfer encoding named by `name` (any case); 7bit,
    /// 8bit, binary and unknown encodings leave the bytes as they are.
    static func decode<C: Collection<UInt8>>(_ bytes: C, name: String?, defects: inout [String]) -> [UInt8] {
        switch TransferDecoder.Encoding(name: name) {
        case .base64: return base64(bytes, defects: &defects)
        case .quotedPrintable: return quotedPrintable(bytes)
        case .identity: return Array(bytes)
        }
    }

    /// Base64 (`TransferDecoder`'s rules), in one call.
    static func base64<C: Collection<UInt8>>(_ bytes: C, defects: inout [String]) -> [UInt8] {
        let decoder = whole(bytes, encoding: .base64)
        if decoder.endedInLoneCharacter { defects.append("base64 ends in a lone character") }
        if decoder.skippedOutsideAlphabet { defects.append("base64 contains characters outside the alphabet") }
        return decoder.out
    }

    /// Quoted-printable (`TransferDecoder`'s rules), in one call.
    static func quotedPrintable<C: Collection<UInt8>>(_ bytes: C) -> [UInt8] {
        whole(bytes, encoding: .quotedPrintable).out
    }

    /// Runs a `TransferDecoder` over all of `bytes` at once.
    private static func whole<C: Collection<UInt8>>(_ bytes: C, encoding: TransferDecoder.Encoding) -> (out: [UInt8], endedInLoneCharacter: Bool, skippedOutsideAlphabet: Bool) {
        func run(_ buffer: UnsafeRawBufferPointer) -> (out: [UInt8], endedInLoneCharacter: Bool, skippedOutsideAlphabet: Bool) {
            var decoder = TransferDecoder(encoding: encoding, range: 0..<buffer.count)
            var out: [UInt8] = []
            out.reserveCapacity(encoding == .base64 ? buffer.count * 3 / 4 : buffer.count)
            decoder.decode(from: buffer, limit: .max - 3, into: &out)
            return (out, decoder.endedInLoneCharacter, decoder.skippedOutsideAlphabet)
        }
        if let result = bytes.withContiguousStorageIfAvailable({ run(UnsafeRawBufferPointer($0)) }) { return result }
        return Array(bytes).withUnsafeBytes(run)
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
