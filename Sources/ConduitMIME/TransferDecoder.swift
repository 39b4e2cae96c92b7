/// Removes a Content-Transfer-Encoding (RFC 2045 §6) a piece at a time:
/// each `decode` call reads on from where the last one stopped and returns
/// at most about `limit` bytes, so an attachment of any size can be decoded
/// into a bounded buffer. The state between calls is a position in the
/// message and a few bits, no bytes of it; every call is handed the whole
/// message again (e.g. from a fresh read transaction), and lookahead (a
/// quoted-printable soft break) reads the buffer directly.
///
/// The one implementation of the decoders: `TransferEncoding.decode` runs
/// it to the end in one call, so decoding in pieces gives the same bytes.
public struct TransferDecoder: Sendable, Equatable {
    /// The encodings that change bytes; anything else is read as it is.
    public enum Encoding: Sendable, Equatable {
        case identity, base64, quotedPrintable

        /// The encoding a Content-Transfer-Encoding value names (any case,
        /// blanks around it ignored); 7bit, 8bit, binary and unknown names are identity.
        public init(name: String?) {
            switch name?.trimmingWhitespace().lowercased() {
            case "base64": self = .base64
            case "quoted-printable": self = .quotedPrintable
            default: self = .identity
            }
        }
    }

    public let encoding: Encoding
    /// The next byte to read (an offset in the message).
    public private(set) var position: Int
    /// The end of the encoded bytes.
    public let end: Int
    /// Base64: sextets read of the current group, and their bits.
    private var sextets = 0
    private var bits: UInt32 = 0
    /// Base64 only: a byte outside the alphabet was skipped / the data ended in a lone sextet.
    public private(set) var skippedOutsideAlphabet = false
    public private(set) var endedInLoneCharacter = false
    /// Everything is decoded.
    public private(set) var isFinished = false

    /// A decoder for the bytes `range` of a message.
    public init(encoding: Encoding, range: Range<Int>) {
        self.encoding = encoding
        self.position = range.lowerBound
        self.end = range.upperBound
    }

    /// Appends to `out` the next decoded bytes: at least one unless
    /// finished, and at most `limit` plus 2. `bytes` is the whole message.
    public mutating func decode(from bytes: UnsafeRawBufferPointer, limit: Int, into out: inout [UInt8]) {
        precondition(end <= bytes.count, "the message is shorter than the decoder's range")
        let stop = out.count + max(1, limit)
        switch encoding {
        case .identity:
            let next = min(end, position + (stop - out.count))
            out.append(contentsOf: bytes[position..<next])
            position = next
            isFinished = position == end
        case .base64: base64(bytes, stop: stop, into: &out)
        case .quotedPrintable: quotedPrintable(bytes, stop: stop, into: &out)
        }
    }

    /// Decodes to the end, counting bytes and keeping none.
    public mutating func countRemaining(in bytes: UnsafeRawBufferPointer) -> Int {
        if encoding == .base64 { return countBase64(bytes) }
        var total = 0
        var scratch: [UInt8] = []
        scratch.reserveCapacity(64 * 1024 + 3)
        while !isFinished {
            scratch.removeAll(keepingCapacity: true)
            decode(from: bytes, limit: 64 * 1024, into: &scratch)
            total += scratch.count
        }
        return total
    }

    /// Base64, skipping every byte outside the alphabet (line breaks,
    /// garbage) and ending at the first `=` after two or more characters of
    /// a group, as Python's binascii does; a final group of 2 or 3
    /// characters still yields its 1 or 2 bytes.
    private mutating func base64(_ bytes: UnsafeRawBufferPointer, stop: Int, into out: inout [UInt8]) {
        while position < end, out.count < stop {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "=") {
                if sextets >= 2 {
                    position = end
                    break
                }
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
                skippedOutsideAlphabet = true
                continue
            }
            bits = bits << 6 | UInt32(value)
            sextets += 1
            if sextets == 4 {
                // Three appends, not `+= [a, b, c]`: an array literal is an allocation per group.
                out.append(UInt8(truncatingIfNeeded: bits >> 16))
                out.append(UInt8(truncatingIfNeeded: bits >> 8))
                out.append(UInt8(truncatingIfNeeded: bits))
                bits = 0
                sextets = 0
            }
        }
        guard position == end else { return }
        switch sextets {
        case 2: out.append(UInt8(truncatingIfNeeded: bits >> 4))
        case 3:
            out.append(UInt8(truncatingIfNeeded: bits >> 10))
            out.append(UInt8(truncatingIfNeeded: bits >> 2))
        case 1: endedInLoneCharacter = true
        default: break
        }
        sextets = 0
        isFinished = true
    }

    /// `base64`'s rules counting instead of decoding: 3 bytes per group of
    /// 4 sextets, 1 or 2 for a final group of 2 or 3, nothing written (the
    /// size of an attachment left in the message costs no buffer).
    private mutating func countBase64(_ bytes: UnsafeRawBufferPointer) -> Int {
        var total = 0
        while position < end {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "="):
                if sextets >= 2 { position = end }
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "+"), UInt8(ascii: "/"):
                sextets += 1
                if sextets == 4 {
                    total += 3
                    sextets = 0
                }
            case UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                continue
            default:
                skippedOutsideAlphabet = true
            }
        }
        switch sextets {
        case 2: total += 1
        case 3: total += 2
        case 1: endedInLoneCharacter = true
        default: break
        }
        sextets = 0
        bits = 0
        isFinished = true
        return total
    }

    /// Quoted-printable: `=XX` (either case) is a byte, `=` before the line
    /// end (trailing blanks allowed) is a soft break, any other `=` stays
    /// as it is. Line ends and trailing blanks are kept, as Python does.
    private mutating func quotedPrintable(_ bytes: UnsafeRawBufferPointer, stop: Int, into out: inout [UInt8]) {
        while position < end, out.count < stop {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "=") else {
                out.append(byte)
                position += 1
                continue
            }
            var blank = position + 1
            while blank < end, bytes[blank] == UInt8(ascii: " ") || bytes[blank] == UInt8(ascii: "\t") { blank += 1 }
            if blank == end {
                position = blank
            } else if bytes[blank] == UInt8(ascii: "\n") {
                position = blank + 1
            } else if bytes[blank] == UInt8(ascii: "\r"), blank + 1 < end, bytes[blank + 1] == UInt8(ascii: "\n") {
                position = blank + 2
            } else if position + 2 < end, let high = TransferEncoding.hex(bytes[position + 1]), let low = TransferEncoding.hex(bytes[position + 2]) {
                out.append(high << 4 | low)
                position += 3
            } else {
                out.append(byte)
                position += 1
            }
        }
        isFinished = position == end
    }
}

/// Where an attachment's content lies in its message and how it is
/// encoded (`MIMEParser.AttachmentContent.byReference`).
public struct AttachmentSource: Sendable, Equatable {
    /// The encoded body's bytes in the message.
    public var range: Range<Int>
    public var encoding: TransferDecoder.Encoding
    /// Base64 that `Base64Text.copy` may copy into a payload as it is
    /// (set by `measure`).
    public var isCanonicalBase64 = false

    public init(range: Range<Int>, encoding: TransferDecoder.Encoding) {
        self.range = range
        self.encoding = encoding
    }

    /// The decoded size, and for base64 whether the text is canonical
    /// (`isCanonicalBase64`): one pass over canonical text, a counting
    /// decode of anything else.
    public mutating func measure(in bytes: UnsafeRawBufferPointer) -> Int {
        if encoding == .base64, let size = Base64Text.canonicalDecodedSize(bytes, range: range) {
            isCanonicalBase64 = true
            return size
        }
        isCanonicalBase64 = false
        return decodedSize(in: bytes)
    }

    /// A decoder at the start of the content.
    public func decoder() -> TransferDecoder {
        TransferDecoder(encoding: encoding, range: range)
    }

    /// The decoded size, found by decoding without keeping anything.
    public func decodedSize(in bytes: UnsafeRawBufferPointer) -> Int {
        if encoding == .identity { return range.count }
        var decoder = decoder()
        return decoder.countRemaining(in: bytes)
    }
}
