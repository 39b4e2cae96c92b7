/// One entity of the message tree: its header fields, where its body lies
/// in the message bytes, and its children when it is a multipart that was
/// descended into.
struct MIMEEntity: Sendable {
    var fields: [HeaderField]
    var body: Range<Int>
    var contentType: HeaderParameters
    var children: [MIMEEntity]?

    /// `type/subtype`, lower case; text/plain when missing or malformed
    /// (RFC 2045 §5.2), message/rfc822 by default inside multipart/digest.
    var mimeType: String { contentType.value }
    /// The halves of `mimeType`, which is always `token/token` (`MIMETreeReader`
    /// checks a declared type), so cutting at the `/` needs no array.
    var mainType: Substring { mimeType.firstIndex(of: "/").map { mimeType[..<$0] } ?? mimeType[...] }
    var subType: Substring { mimeType.firstIndex(of: "/").map { mimeType[mimeType.index(after: $0)...] } ?? "" }

    /// The lower-case disposition type (`attachment`, `inline`), or `nil`.
    var disposition: HeaderParameters? {
        fields.first(named: "content-disposition").map { HeaderParameters($0.text) }
    }

    var isAttachment: Bool { disposition?.value == "attachment" }

    /// Content-Disposition `filename`, else Content-Type `name`.
    var filename: String? {
        let name = disposition?.parameters["filename"] ?? contentType.parameters["name"]
        return name.map { $0.trimmingWhitespace() }
    }

    var contentID: String? {
        fields.first(named: "content-id").map { $0.decoded }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The Content-Transfer-Encoding as written, or `nil`.
    var transferEncoding: String? { fields.first(named: "content-transfer-encoding")?.text }

    /// The body with its transfer encoding removed.
    func decodedBody(_ bytes: UnsafeRawBufferPointer, defects: inout [String]) -> [UInt8] {
        TransferEncoding.decode(bytes[body], name: transferEncoding, defects: &defects)
    }

    /// The body as text: transfer encoding removed, charset converted,
    /// line ends made `\n` (CRLF and a lone CR alike).
    func text(_ bytes: UnsafeRawBufferPointer, defects: inout [String]) -> String {
        let charset = contentType.parameters["charset"]
        if let charset, !["utf-8", "utf8", "us-ascii", "ascii"].contains(charset.lowercased()), !Charset.isKnown(charset) {
            defects.append("unknown charset \(charset); read as UTF-8")
        }
        var body = decodedBody(bytes, defects: &defects)
        var replacements = 0
        let text: String
        if Charset.isUTF8(charset) {
            // Line ends first, in place: CR and LF are never part of a UTF-8
            // sequence, so the text and the replacements are the same as after.
            LineEnds.normalize(&body)
            text = Charset.utf8(body, replacements: &replacements)
        } else {
            text = LineEnds.normalized(Charset.decode(body, charset: charset, replacements: &replacements))
        }
        if replacements > 0 { defects.append(Self.replacementDefect(replacements, in: "\(mimeType) part")) }
        return text
    }

    /// The defect for `count` undecodable byte sequences replaced in `place`.
    static func replacementDefect(_ count: Int, in place: String) -> String {
        "\(place): \(count) undecodable byte sequence\(count == 1 ? "" : "s") replaced with U+FFFD"
    }
}
