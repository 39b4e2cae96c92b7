/// One DMARC Policy Record (RFC 9989 §4.7, §4.8), the tags Conduit acts on.
///
/// Parsing follows the RFC's leniency: the record must begin with
/// `v=DMARC1` (tag name in any case, WSP around `=`, `DMARC1` exactly);
/// unknown tags are ignored, and so are the removed `pct`, `rf` and `ri`; a
/// known tag with an invalid value is ignored in favour of its default,
/// except `p`, `sp` and `np`, whose invalid values §4.7 handles through
/// `rua` (see `hasInvalidPolicy`). The first of repeated tags counts.
public struct DMARCRecord: Sendable, Equatable {
    /// `p`; `nil` when absent, which RFC 9989 treats as `none`.
    public var policy: DMARCPolicy?
    /// `sp`: for subdomains of the record's domain.
    public var subdomainPolicy: DMARCPolicy?
    /// `np`: for non-existent subdomains of the record's domain.
    public var nonExistentSubdomainPolicy: DMARCPolicy?
    public var dkimAlignment: DMARCAlignmentMode = .relaxed
    public var spfAlignment: DMARCAlignmentMode = .relaxed
    public var publicSuffix: DMARCPublicSuffixFlag = .unknown
    /// `t=y`: the Domain Owner is testing; apply one level less strict.
    public var testing = false
    /// The `rua` URIs as written (only checked for syntax, never used).
    public var aggregateReportURIs: [String] = []
    /// `p`, `sp` or `np` had a value that is not a policy.
    public var hasInvalidPolicy = false

    public init() {}

    /// The record in `text`, or `nil` when it is not a DMARC record (it does
    /// not begin with `v=DMARC1`): such TXT records are discarded (§4.10).
    public static func parse(_ text: String) -> DMARCRecord? {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard let first = parts.first, let version = Self.tag(first), version.name == "v",
              version.value == "DMARC1", !first.hasPrefix(" "), !first.hasPrefix("\t") else { return nil }
        var record = DMARCRecord()
        var seen: Set<String> = ["v"]
        for part in parts.dropFirst() {
            guard let tag = Self.tag(part), seen.insert(tag.name).inserted else { continue }
            record.apply(name: tag.name, value: tag.value)
        }
        return record
    }

    /// Whether `rua` holds at least one syntactically valid URI (RFC 3986
    /// §3.1: a scheme, a colon, something after it); `!size` suffixes, which
    /// RFC 9989 made obsolete, are cut off first.
    public var hasValidAggregateReportURI: Bool {
        aggregateReportURIs.contains { uri in
            let bare = uri.split(separator: "!", maxSplits: 1).first.map(String.init) ?? ""
            guard let colon = bare.firstIndex(of: ":"), colon != bare.startIndex,
                  bare.index(after: colon) != bare.endIndex else { return false }
            let scheme = bare[..<colon]
            return scheme.first!.isASCII && scheme.first!.isLetter
                && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
                && !bare.contains(where: { $0 == " " || $0 == "\t" })
        }
    }

    private mutating func apply(name: String, value: String) {
        let lower = value.lowercased()
        switch name {
        case "p", "sp", "np":
            let parsed = DMARCPolicy(rawValue: lower)
            if parsed == nil { hasInvalidPolicy = true }
            switch name {
            case "p": policy = parsed
            case "sp": subdomainPolicy = parsed
            default: nonExistentSubdomainPolicy = parsed
            }
        case "adkim": dkimAlignment = DMARCAlignmentMode(rawValue: lower) ?? .relaxed
        case "aspf": spfAlignment = DMARCAlignmentMode(rawValue: lower) ?? .relaxed
        case "psd": publicSuffix = DMARCPublicSuffixFlag(rawValue: lower) ?? .unknown
        case "t": testing = lower == "y"
        case "rua":
            aggregateReportURIs = value.split(separator: ",").map { $0.trimmingWSP() }.filter { !$0.isEmpty }
        default: break  // fo, ruf, the removed pct/rf/ri, and unknown tags
        }
    }

    /// `name=value` with WSP trimmed around both; the name in lower case.
    /// `nil` when there is no `=` or no name.
    private static func tag(_ part: Substring) -> (name: String, value: String)? {
        guard let equals = part.firstIndex(of: "=") else { return nil }
        let name = part[..<equals].trimmingWSP().lowercased()
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        return (name, part[part.index(after: equals)...].trimmingWSP())
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (RFC 5234 WSP).
    func trimmingWSP() -> String {
        let isWSP: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isWSP($0) }) else { return "" }
        let end = lastIndex(where: { !isWSP($0) })!
        return String(self[start...end])
    }
}
