/// Builds the entity tree of a message, splitting multipart bodies at their
/// boundaries (RFC 2046 §5.1.1) the way Python's feedparser matches them:
/// a line that is `--boundary`, optionally `--`, then only blanks.
/// Recursion is bounded by `maxDepth`, entities by `maxParts`.
struct MIMETreeReader {
    /// The message; valid for the reader's life (the caller's buffer).
    let bytes: UnsafeRawBufferPointer
    let limits: MIMELimits
    var defects: [String] = []
    private var parts = 0
    private var reportedPartLimit = false
    private var reportedDepthLimit = false

    init(bytes: UnsafeRawBufferPointer, limits: MIMELimits) {
        self.bytes = bytes
        self.limits = limits
    }

    mutating func entity(in range: Range<Int>, depth: Int, defaultType: String) -> MIMEEntity {
        parts += 1
        let block = HeaderBlock(bytes, range: range, limits: limits, defects: &defects)
        var contentType = HeaderParameters(defaultType)
        if let field = block.fields.first(named: "content-type") {
            let declared = HeaderParameters(field.text)
            if Self.isValidType(declared.value) {
                contentType = declared
            } else {
                defects.append("invalid Content-Type \(declared.value.prefix(80)); read as \(defaultType)")
            }
        }
        var entity = MIMEEntity(fields: block.fields, body: block.bodyStart..<range.upperBound, contentType: contentType, children: nil)
        guard entity.mainType == "multipart" else { return entity }
        guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty else {
            defects.append("multipart without boundary; kept as one part")
            return entity
        }
        guard depth < limits.maxDepth else {
            if !reportedDepthLimit { defects.append("multipart nested deeper than \(limits.maxDepth); not split") }
            reportedDepthLimit = true
            return entity
        }
        guard let (ranges, closed) = split(entity.body, boundary: Array(("--" + boundary).utf8)) else {
            defects.append("start boundary of \(entity.mimeType) not found; kept as one part")
            return entity
        }
        if !closed { defects.append("close boundary of \(entity.mimeType) not found") }
        let childType = entity.subType == "digest" ? "message/rfc822" : "text/plain"
        var children: [MIMEEntity] = []
        for childRange in ranges {
            guard parts < limits.maxParts else {
                if !reportedPartLimit { defects.append("more than \(limits.maxParts) parts; rest ignored") }
                reportedPartLimit = true
                break
            }
            children.append(self.entity(in: childRange, depth: depth + 1, defaultType: childType))
        }
        entity.children = children
        return entity
    }

    /// The part ranges between delimiter lines and whether the close
    /// delimiter was seen; `nil` when there is no delimiter at all. The
    /// line break before a delimiter belongs to the delimiter.
    private func split(_ body: Range<Int>, boundary: [UInt8]) -> ([Range<Int>], Bool)? {
        var ranges: [Range<Int>] = []
        var partStart: Int?
        var lineStart = body.lowerBound
        while lineStart < body.upperBound {
            let (contentEnd, next) = HeaderBlock.lineEnd(bytes, from: lineStart, end: body.upperBound)
            if let isClose = delimiter(lineStart..<contentEnd, boundary: boundary) {
                // A delimiter right after a delimiter encloses nothing, not even a
                // header block: no part (Python skips these too).
                if let start = partStart, start < lineStart {
                    var end = lineStart
                    if end > start, bytes[end - 1] == UInt8(ascii: "\n") { end -= 1 }
                    if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    ranges.append(start..<end)
                }
                if isClose { return (ranges, true) }
                // Bounded here too, so a body of a million delimiters stays cheap.
                if ranges.count > limits.maxParts { return (ranges, true) }
                partStart = next
            }
            lineStart = next
        }
        guard let start = partStart else { return nil }
        ranges.append(start..<body.upperBound)
        return (ranges, false)
    }

    /// `false` for `--boundary`, `true` for `--boundary--` (blanks may
    /// follow either), `nil` for any other line.
    private func delimiter(_ line: Range<Int>, boundary: [UInt8]) -> Bool? {
        guard line.count >= boundary.count, bytes[line.lowerBound..<line.lowerBound + boundary.count].elementsEqual(boundary) else { return nil }
        var index = line.lowerBound + boundary.count
        var close = false
        if index + 1 < line.upperBound, bytes[index] == UInt8(ascii: "-"), bytes[index + 1] == UInt8(ascii: "-") {
            close = true
            index += 2
        }
        while index < line.upperBound {
            guard bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") else { return nil }
            index += 1
        }
        return close
    }

    /// `token/token` (RFC 2045 §5.1): printable ASCII without blanks or
    /// tspecials on both sides of the one `/` (any other byte, non-ASCII
    /// included, makes it invalid, as it did read as Characters).
    private static func isValidType(_ value: String) -> Bool {
        var slash: Int?
        var count = 0
        for byte in value.utf8 {
            if byte == UInt8(ascii: "/") {
                guard slash == nil else { return false }
                slash = count
            } else if byte <= 32 || byte >= 127 || tspecials.contains(byte) {
                return false
            }
            count += 1
        }
        guard let slash else { return false }
        return slash > 0 && slash < count - 1
    }

    private static let tspecials = Array("()<>@,;:\\\"[]?=".utf8)
}
