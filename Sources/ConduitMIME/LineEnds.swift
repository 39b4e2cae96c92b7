/// Text line ends made `\n`: CRLF and a lone CR alike (docs/MIME.md,
/// "Line ends"). Over bytes, so in `\r\r\n` the first CR is a line end of
/// its own, as the rule says (a `String` would see the Character `\r\n`).
enum LineEnds {
    /// `bytes` with every CRLF and lone CR made LF, in place, in one pass.
    static func normalize(_ bytes: inout [UInt8]) {
        guard let firstCR = bytes.firstIndex(of: UInt8(ascii: "\r")) else { return }
        let count = bytes.withUnsafeMutableBufferPointer { buffer in
            var write = firstCR
            var read = firstCR
            while read < buffer.count {
                let byte = buffer[read]
                read += 1
                if byte == UInt8(ascii: "\r") {
                    buffer[write] = UInt8(ascii: "\n")
                    if read < buffer.count, buffer[read] == UInt8(ascii: "\n") { read += 1 }
                } else {
                    buffer[write] = byte
                }
                write += 1
            }
            return write
        }
        bytes.removeSubrange(count...)
    }

    /// `text` with every CRLF and lone CR made LF.
    static func normalized(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "\r")) else { return text }
        var bytes = Array(text.utf8)
        normalize(&bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
