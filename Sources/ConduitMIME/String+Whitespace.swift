extension StringProtocol {
    /// Without leading and trailing spaces, tabs, CR and LF (Characters:
    /// a space that a combining mark extends is no space).
    func trimmingWhitespace() -> String {
        // nil: not contiguous UTF-8 (a bridged string); nil inside: see TrimmedText.range.
        let range = utf8.withContiguousStorageIfAvailable { TrimmedText.range($0) }
        guard let trimmed = range ?? nil else { return characterTrimmed() }
        let start = utf8.index(utf8.startIndex, offsetBy: trimmed.lowerBound)
        let end = utf8.index(utf8.startIndex, offsetBy: trimmed.upperBound)
        return String(self[start..<end])
    }

    /// The Character-by-Character reading, for text where blanks touch
    /// other characters (which may join them into one Character).
    private func characterTrimmed() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}

/// Trimming spaces, tabs, CR and LF on UTF-8 bytes, the same as the
/// Character rules: a blank is its own Character unless a space touches a
/// non-ASCII scalar at the cut (a combining mark after it, a prepended
/// mark before it), and only then is the Character reading needed.
enum TrimmedText {
    /// The range of `bytes` without outer blanks, or `nil` when a space at
    /// the cut touches a non-ASCII byte.
    static func range(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        var start = 0
        var end = bytes.count
        while start < end, isBlank(bytes[start]) { start += 1 }
        while end > start, isBlank(bytes[end - 1]) { end -= 1 }
        if start > 0, start < bytes.count, bytes[start] >= 0x80, bytes[start - 1] == UInt8(ascii: " ") { return nil }
        if end < bytes.count, end > 0, bytes[end - 1] >= 0x80, bytes[end] == UInt8(ascii: " ") { return nil }
        return start..<end
    }

    /// `bytes` (valid UTF-8) trimmed, as a string.
    static func string(_ bytes: [UInt8]) -> String {
        let range = bytes.withUnsafeBufferPointer { self.range($0) }
        guard let trimmed = range else { return String(decoding: bytes, as: UTF8.self).trimmingWhitespace() }
        return String(decoding: bytes[trimmed], as: UTF8.self)
    }

    static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n")
    }
}
