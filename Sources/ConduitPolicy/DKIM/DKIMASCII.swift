/// The bytes DKIM's grammars are written in (RFC 5234 core rules).
enum DKIMASCII {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let equals: UInt8 = 0x3D
    static let crlf: [UInt8] = [cr, lf]

    /// SP or HTAB (WSP).
    static func isWSP(_ byte: UInt8) -> Bool { byte == space || byte == tab }

    /// WSP or a line-end byte: what folding white space is made of.
    static func isFWS(_ byte: UInt8) -> Bool { isWSP(byte) || byte == cr || byte == lf }

    /// ASCII lower case of one byte; other bytes unchanged.
    static func lowercased(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte }

    /// `bytes` with FWS removed from both ends.
    static func trimmingFWS(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isFWS(bytes[start]) { start += 1 }
        while end > start, isFWS(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }
}
