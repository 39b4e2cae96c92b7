/// A header field as read from the wire: the name, and the value unfolded
/// (line breaks removed, the continuation's leading whitespace kept) with
/// its leading whitespace stripped, still in raw bytes.
struct HeaderField: Sendable {
    var name: String
    var rawValue: [UInt8]

    /// The value as text: UTF-8, with U+FFFD for bytes that are not
    /// (8-bit headers in other charsets are undeclared, so cannot be converted).
    var text: String { String(decoding: rawValue, as: UTF8.self) }

    /// The value with RFC 2047 encoded words decoded and outer whitespace trimmed.
    var decoded: String {
        var replacements = 0
        return decoded(replacements: &replacements)
    }

    /// `decoded`, adding to `replacements` the number of U+FFFD put in for
    /// bytes that could not be decoded (raw or inside encoded words).
    func decoded(replacements: inout Int) -> String {
        EncodedWords.decode(Charset.utf8(rawValue, replacements: &replacements), replacements: &replacements).trimmingWhitespace()
    }
}

extension [HeaderField] {
    /// The first field called `name` (lower-case ASCII; fields match in any
    /// case). Field names are printable ASCII (`HeaderBlock`), so comparing
    /// bytes is what `lowercased() ==` did, without a string per field.
    func first(named name: StaticString) -> HeaderField? {
        let wanted = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        return first { field in
            field.name.utf8.count == wanted.count
                && zip(field.name.utf8, wanted).allSatisfy { ASCIIBytes.lowercased($0) == $1 }
        }
    }
}
