/// A canonicalization algorithm (RFC 6376 §3.4), for header fields or body.
enum DKIMCanonicalization: String, Sendable, Hashable {
    case simple, relaxed

    /// The canonical form of one header field, ending in CRLF (added to an
    /// unterminated last field, as dkimpy does). `raw` runs from the name to
    /// the field's last line end; `colon` is the index of the colon after
    /// the name.
    func header(_ raw: ArraySlice<UInt8>, colon: Int) -> [UInt8] {
        switch self {
        case .simple:
            var out = Array(raw)
            if !out.suffix(2).elementsEqual(DKIMASCII.crlf) { out.append(contentsOf: DKIMASCII.crlf) }
            return out
        case .relaxed:
            return Self.relaxedHeader(raw, colon: colon)
        }
    }

    /// The canonical form of a message body (RFC 6376 §3.4.3, §3.4.4).
    func body(_ body: ArraySlice<UInt8>) -> [UInt8] {
        switch self {
        case .simple:
            var out = Array(body)
            Self.keepOneTrailingLineEnd(&out)
            return out
        case .relaxed:
            var out = Self.relaxedBodyLines(body)
            Self.keepOneTrailingLineEnd(&out)
            // §3.4.4: an empty body stays empty (erratum 1384); only `simple` makes it one CRLF.
            if out == DKIMASCII.crlf { out.removeAll() }
            return out
        }
    }

    /// §3.4.2: name in lower case without trailing WSP, colon, the value
    /// unfolded with WSP runs made one SP and no WSP at either end, CRLF.
    private static func relaxedHeader(_ raw: ArraySlice<UInt8>, colon: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var nameEnd = colon
        while nameEnd > raw.startIndex, DKIMASCII.isWSP(raw[nameEnd - 1]) { nameEnd -= 1 }
        out.append(contentsOf: raw[raw.startIndex..<nameEnd].lazy.map(DKIMASCII.lowercased))
        out.append(DKIMASCII.colon)
        var pendingSpace = false
        var wroteValue = false
        var index = colon + 1
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == DKIMASCII.cr, index + 1 < raw.endIndex, raw[index + 1] == DKIMASCII.lf {
                index += 2  // unfold: the WSP after a folding CRLF stays, and is compressed
                continue
            }
            if DKIMASCII.isWSP(byte) {
                pendingSpace = wroteValue
            } else {
                if pendingSpace { out.append(DKIMASCII.space) }
                pendingSpace = false
                out.append(byte)
                wroteValue = true
            }
            index += 1
        }
        out.append(contentsOf: DKIMASCII.crlf)
        return out
    }

    /// §3.4.4 a and b: WSP before a line end removed, other WSP runs made
    /// one SP. WSP at the very end of an unterminated last line becomes one
    /// SP, as in dkimpy (the RFC does not say).
    private static func relaxedBodyLines(_ body: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var pendingSpace = false
        var index = body.startIndex
        while index < body.endIndex {
            let byte = body[index]
            if DKIMASCII.isWSP(byte) {
                pendingSpace = true
            } else {
                let atLineEnd = byte == DKIMASCII.cr && index + 1 < body.endIndex && body[index + 1] == DKIMASCII.lf
                if pendingSpace, !atLineEnd { out.append(DKIMASCII.space) }
                pendingSpace = false
                out.append(byte)
            }
            index += 1
        }
        if pendingSpace { out.append(DKIMASCII.space) }
        return out
    }

    /// §3.4.3: all empty lines at the end removed, and the body made to end
    /// in exactly one CRLF (an empty body becomes one CRLF).
    private static func keepOneTrailingLineEnd(_ bytes: inout [UInt8]) {
        var end = bytes.endIndex
        while end >= 2, bytes[end - 2] == DKIMASCII.cr, bytes[end - 1] == DKIMASCII.lf { end -= 2 }
        if end == bytes.endIndex {
            bytes.append(contentsOf: DKIMASCII.crlf)
        } else {
            bytes.removeSubrange((end + 2)...)
        }
    }
}
