/// A message split the way DKIM sees it (RFC 6376 §3.4, §5.4): header
/// fields in order, each with its raw bytes (folding kept, for `simple`
/// canonicalization), and the body. Nothing is decoded.
struct DKIMMessage {
    /// One header field: every byte of it, from the name to the CRLF that
    /// ends its last line.
    struct Field {
        /// The whole field, indices into the message.
        let raw: ArraySlice<UInt8>
        /// Index of the colon that ends the name.
        let colon: Int
        /// The name in ASCII lower case, WSP before the colon removed.
        let name: String

        /// The bytes after the colon, CRLF of the last line included.
        var value: ArraySlice<UInt8> { raw[(colon + 1)...] }
    }

    /// The message with line ends normalized to CRLF.
    let bytes: [UInt8]
    let fields: [Field]
    let body: ArraySlice<UInt8>
    /// Why the header block cannot be trusted to canonicalize as its
    /// signer saw it; `nil` when it is well formed.
    let malformation: String?

    /// Splits `message`. Line ends that are a bare LF are read as CRLF (as
    /// dkimpy and most verifiers do, for messages stored with Unix line ends);
    /// a message without an empty line is all header.
    init(_ message: [UInt8]) {
        bytes = Self.normalizingLineEnds(message)
        var fields: [Field] = []
        var malformation: String?
        var index = bytes.startIndex
        var bodyStart = bytes.endIndex
        while index < bytes.endIndex {
            let lineFeed = bytes[index...].firstIndex(of: DKIMASCII.lf)
            let next = lineFeed.map { $0 + 1 } ?? bytes.endIndex
            // After normalization every LF follows a CR.
            let contentEnd = lineFeed.map { $0 - 1 } ?? bytes.endIndex
            if contentEnd == index, lineFeed != nil {
                bodyStart = next
                break
            }
            if DKIMASCII.isWSP(bytes[index]) {
                if let last = fields.popLast() {
                    fields.append(Field(raw: bytes[last.raw.startIndex..<next], colon: last.colon, name: last.name))
                } else {
                    malformation = malformation ?? "header block starts with a continuation line"
                }
            } else if let colon = bytes[index..<contentEnd].firstIndex(of: DKIMASCII.colon),
                      let name = Self.fieldName(bytes[index..<colon]) {
                fields.append(Field(raw: bytes[index..<next], colon: colon, name: name))
            } else if !bytes[index..<contentEnd].starts(with: Self.mboxFrom) {
                malformation = malformation ?? "header line is not a field"
            }
            index = next
        }
        self.fields = fields
        self.body = bytes[bodyStart...]
        self.malformation = malformation
    }

    /// The length of the header block of a raw message: every byte up to
    /// and including the line feed of the first empty line (a line ending
    /// in LF that holds nothing but, perhaps, one CR) — where `init` finds
    /// the body once bare LFs are read as CRLF. The whole message when it
    /// has no empty line.
    static func headerBlockLength(_ message: [UInt8]) -> Int {
        var lineStart = 0
        var index = 0
        while index < message.count {
            if message[index] == DKIMASCII.lf {
                let content = index - lineStart
                if content == 0 || (content == 1 && message[lineStart] == DKIMASCII.cr) { return index + 1 }
                lineStart = index + 1
            }
            index += 1
        }
        return message.count
    }

    /// An mbox separator line (`From sender date`) some stored messages
    /// begin with; skipped wherever it is in the header block, as dkimpy
    /// does (a signature added on top puts it below the first field).
    private static let mboxFrom = Array("From ".utf8)

    /// The lower-cased field name, or `nil` when it is not printable ASCII
    /// (RFC 5322 §3.6.8; WSP before the colon is obsolete syntax, accepted).
    private static func fieldName(_ bytes: ArraySlice<UInt8>) -> String? {
        var end = bytes.endIndex
        while end > bytes.startIndex, DKIMASCII.isWSP(bytes[end - 1]) { end -= 1 }
        let name = bytes[bytes.startIndex..<end]
        guard !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        return String(decoding: name.map(DKIMASCII.lowercased), as: UTF8.self)
    }

    /// `message` with every bare LF turned into CRLF; the same array when
    /// there is none.
    static func normalizingLineEnds(_ message: [UInt8]) -> [UInt8] {
        var previous: UInt8 = 0
        let hasBareLF = message.contains { byte in
            defer { previous = byte }
            return byte == DKIMASCII.lf && previous != DKIMASCII.cr
        }
        guard hasBareLF else { return message }
        var out: [UInt8] = []
        out.reserveCapacity(message.count + message.count / 32)
        previous = 0
        for byte in message {
            if byte == DKIMASCII.lf, previous != DKIMASCII.cr { out.append(DKIMASCII.cr) }
            out.append(byte)
            previous = byte
        }
        return out
    }
}
