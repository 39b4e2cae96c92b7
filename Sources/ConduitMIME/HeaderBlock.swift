/// Splits a header block off an entity (RFC 5322 §2.2) leniently: LF or
/// CRLF line ends, a line that is neither a field nor a continuation ends
/// the block (its bytes start the body, as Python's parser does), and the
/// limits bound what is kept while the scan stays linear.
struct HeaderBlock {
    var fields: [HeaderField] = []
    /// Where the body starts.
    var bodyStart: Int

    init(_ bytes: UnsafeRawBufferPointer, range: Range<Int>, limits: MIMELimits, defects: inout [String]) {
        var index = range.lowerBound
        let end = range.upperBound
        var keptBytes = 0
        // The field being read was dropped (too big, or past the count): so are its continuations.
        var droppingField = false
        // One defect per kind and block, so dropped fields cannot grow the defect list.
        var reportedCount = false
        var reportedBytes = false
        bodyStart = end
        // An mbox "From " line before the first field is no header.
        if Self.hasPrefix(bytes, at: index, end: end, "From ") {
            index = Self.lineEnd(bytes, from: index, end: end).next
        }
        while index < end {
            let (contentEnd, next) = Self.lineEnd(bytes, from: index, end: end)
            defer { index = next }
            if contentEnd == index {
                bodyStart = next
                return
            }
            let first = bytes[index]
            if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
                if fields.isEmpty {
                    if index == range.lowerBound { defects.append("first header line is a continuation; ignored") }
                } else if !droppingField {
                    let length = contentEnd - index
                    if keptBytes + length > limits.maxHeaderBytes {
                        droppingField = true
                        let dropped = fields.removeLast()
                        keptBytes -= dropped.name.utf8.count + dropped.rawValue.count
                        if !reportedBytes { defects.append("header fields over \(limits.maxHeaderBytes) bytes dropped") }
                        reportedBytes = true
                    } else {
                        keptBytes += length
                        fields[fields.count - 1].rawValue += bytes[index..<contentEnd]
                    }
                }
                continue
            }
            guard let colon = Self.fieldNameEnd(bytes, from: index, end: contentEnd) else {
                defects.append("missing header/body separator")
                bodyStart = index
                return
            }
            droppingField = true
            let length = contentEnd - index
            let name = String(decoding: bytes[index..<colon], as: UTF8.self).trimmingWhitespace()
            if fields.count >= limits.maxHeaderCount {
                if !reportedCount { defects.append("more than \(limits.maxHeaderCount) header fields; rest dropped") }
                reportedCount = true
                continue
            }
            if keptBytes + length > limits.maxHeaderBytes {
                if !reportedBytes { defects.append("header fields over \(limits.maxHeaderBytes) bytes dropped") }
                reportedBytes = true
                continue
            }
            var valueStart = colon + 1
            while valueStart < contentEnd, bytes[valueStart] == UInt8(ascii: " ") || bytes[valueStart] == UInt8(ascii: "\t") {
                valueStart += 1
            }
            keptBytes += length
            droppingField = false
            fields.append(HeaderField(name: name, rawValue: Array(bytes[valueStart..<contentEnd])))
        }
        bodyStart = end
    }

    /// The end of the line's content (before CR LF or LF) and the start of the next line.
    static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int, end: Int) -> (content: Int, next: Int) {
        var index = start
        while index < end, bytes[index] != UInt8(ascii: "\n") { index += 1 }
        if index == end { return (end, end) }
        let content = index > start && bytes[index - 1] == UInt8(ascii: "\r") ? index - 1 : index
        return (content, index + 1)
    }

    /// The colon after a valid field name (printable ASCII, no space inside), or `nil`.
    private static func fieldNameEnd(_ bytes: UnsafeRawBufferPointer, from start: Int, end: Int) -> Int? {
        var index = start
        var sawSpace = false
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: ":") { return index > start ? index : nil }
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                sawSpace = true
            } else if byte < 33 || byte > 126 || sawSpace {
                return nil
            }
            index += 1
        }
        return nil
    }

    private static func hasPrefix(_ bytes: UnsafeRawBufferPointer, at start: Int, end: Int, _ prefix: String) -> Bool {
        let prefix = Array(prefix.utf8)
        guard end - start >= prefix.count else { return false }
        return bytes[start..<start + prefix.count].elementsEqual(prefix)
    }
}
