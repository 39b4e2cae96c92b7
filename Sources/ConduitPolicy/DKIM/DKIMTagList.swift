/// A parsed tag=value list (RFC 6376 §3.2), as in a DKIM-Signature field
/// or a key record. Tag names are case-sensitive; values keep their inner
/// folding white space.
struct DKIMTagList {
    /// One tag=value pair.
    struct Tag {
        let name: String
        /// The value without FWS at either end.
        let value: String
        /// Where the value's bytes are in the parsed input (after the `=`,
        /// from the first byte after it to the last non-FWS byte of the
        /// value): what `b=` removal (§3.7) cuts out.
        let valueRange: Range<Int>
    }

    /// Why a tag list could not be parsed.
    struct SyntaxError: Error, Equatable {
        let reason: String
    }

    private var tags: [String: Tag] = [:]

    /// The value of `name`, or `nil` when the tag is absent.
    subscript(name: String) -> String? { tags[name]?.value }

    /// The tag called `name`, with its position.
    func tag(_ name: String) -> Tag? { tags[name] }

    /// Parses `bytes`. A `;` may end the list; empty tag specs, a tag
    /// without `=`, an invalid name, a control character in a value and a
    /// repeated tag are errors (§3.2: "Tags with duplicate names MUST NOT
    /// occur"). Bytes above 0x7F are let through in values (RFC 8616 allows
    /// UTF-8 in `d=` and `i=`).
    init(parsing bytes: ArraySlice<UInt8>) throws(SyntaxError) {
        var start = bytes.startIndex
        while true {
            let end = bytes[start...].firstIndex(of: DKIMASCII.semicolon) ?? bytes.endIndex
            let spec = DKIMASCII.trimmingFWS(bytes[start..<end])
            if spec.isEmpty {
                guard end == bytes.endIndex else { throw SyntaxError(reason: "empty tag") }
                break
            }
            let tag = try Self.tag(spec)
            guard tags[tag.name] == nil else { throw SyntaxError(reason: "tag \(tag.name)= appears twice") }
            tags[tag.name] = tag
            guard end < bytes.endIndex else { break }
            start = end + 1
        }
    }

    /// One tag-spec, already trimmed of FWS.
    private static func tag(_ spec: ArraySlice<UInt8>) throws(SyntaxError) -> Tag {
        guard let equals = spec.firstIndex(of: DKIMASCII.equals) else {
            throw SyntaxError(reason: "tag without '='")
        }
        let nameBytes = DKIMASCII.trimmingFWS(spec[spec.startIndex..<equals])
        guard let first = nameBytes.first, isAlpha(first),
              nameBytes.allSatisfy({ isAlpha($0) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
            throw SyntaxError(reason: "invalid tag name")
        }
        let name = String(decoding: nameBytes, as: UTF8.self)
        let value = DKIMASCII.trimmingFWS(spec[(equals + 1)...])
        if let bad = value.first(where: { ($0 < 0x20 && !DKIMASCII.isFWS($0)) || $0 == 0x7F }) {
            throw SyntaxError(reason: "control character 0x\(String(bad, radix: 16)) in tag \(name)=")
        }
        return Tag(name: name, value: String(decoding: value, as: UTF8.self), valueRange: (equals + 1)..<value.endIndex)
    }

    private static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}

extension DKIMTagList {
    /// The bytes of a base64 tag value (`b=`, `bh=`, `p=`) with the FWS
    /// inside it removed (§2.10); `nil` when it is not base64 (padding
    /// included).
    static func base64Decoded(_ value: String) -> [UInt8]? {
        let compact = value.utf8.filter { !DKIMASCII.isFWS($0) }
        guard compact.count % 4 == 0 else { return nil }
        return DKIMBase64.decode(compact)
    }

    /// The elements of a colon-separated list value (`h=`, key `h=`, `s=`,
    /// `t=`, signature `q=`), each without FWS at either end, lower-cased.
    static func colonList(_ value: String) -> [String] {
        value.split(separator: ":", omittingEmptySubsequences: false).map { element in
            String(decoding: DKIMASCII.trimmingFWS(ArraySlice(element.utf8)).map(DKIMASCII.lowercased), as: UTF8.self)
        }
    }
}
