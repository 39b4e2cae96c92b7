/// One `%{…}` macro of RFC 7208 §7.1: a letter, its transformers and delimiters.
struct SPFMacro: Equatable, Sendable {
    /// The macro letters (§7.3). `c`, `r` and `t` are allowed only in explanation text.
    enum Letter: UInt8, Sendable, CaseIterable {
        case sender = 0x73  // s
        case localPart = 0x6C  // l
        case senderDomain = 0x6F  // o
        case domain = 0x64  // d
        case ip = 0x69  // i
        case validatedName = 0x70  // p
        case addressKind = 0x76  // v
        case helo = 0x68  // h
        case client = 0x63  // c
        case receiver = 0x72  // r
        case timestamp = 0x74  // t

        /// Letters a domain-spec may use.
        static let domainSpec: Set<Letter> = [.sender, .localPart, .senderDomain, .domain, .ip, .validatedName, .addressKind, .helo]
    }

    static let defaultDelimiters: Set<UInt8> = [UInt8(ascii: ".")]
    /// `.` `-` `+` `,` `/` `_` `=`
    static let allowedDelimiters: Set<UInt8> = Set(".-+,/_=".utf8)

    let letter: Letter
    /// An uppercase letter asks for the value URL-escaped (§7.3).
    let urlEscaped: Bool
    /// How many right-hand parts to keep; `nil` keeps them all.
    let keep: Int?
    let reversed: Bool
    let delimiters: Set<UInt8>

    /// The transformed value: split on the delimiters, reversed if asked,
    /// the rightmost `keep` parts joined with dots, then URL-escaped if asked.
    func apply(to value: String) -> String {
        var parts = Array(value.utf8).split(omittingEmptySubsequences: false) { delimiters.contains($0) }
        if reversed { parts.reverse() }
        if let keep, keep < parts.count { parts = Array(parts.suffix(keep)) }
        let joined = Array(parts.joined(separator: [UInt8(ascii: ".")]))
        return urlEscaped ? Self.urlEscape(joined) : String(decoding: joined, as: UTF8.self)
    }

    /// Every byte outside RFC 3986's unreserved set as `%XX` (uppercase hex).
    static func urlEscape(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
