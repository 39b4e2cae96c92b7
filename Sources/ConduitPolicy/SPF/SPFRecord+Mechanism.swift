import ConduitCore

extension SPFRecord {
    /// Parses a mechanism without its qualifier (RFC 7208 §5). Names are
    /// case-insensitive; anything but the grammar's exact forms is an error.
    static func mechanism(_ term: ArraySlice<UInt8>) throws(SPFSyntaxError) -> Mechanism {
        let nameEnd = term.firstIndex { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "/") } ?? term.endIndex
        let name = String(decoding: term[..<nameEnd].map { $0 | 0x20 }, as: UTF8.self)
        let rest = term[nameEnd...]
        switch name {
        case "all":
            guard rest.isEmpty else { throw SPFSyntaxError("'all' takes no argument") }
            return .all
        case "include":
            return .include(try requiredDomainSpec(rest, name))
        case "exists":
            return .exists(try requiredDomainSpec(rest, name))
        case "a", "mx":
            var body = rest
            let cidr = try dualCIDR(&body)
            let spec = try optionalDomainSpec(body, name)
            return name == "a" ? .a(spec, cidr) : .mx(spec, cidr)
        case "ptr":
            return .ptr(try optionalDomainSpec(rest, name))
        case "ip4", "ip6":
            guard rest.first == UInt8(ascii: ":") else { throw SPFSyntaxError("'\(name)' needs ':' and a network") }
            let network = rest.dropFirst()
            let slash = network.firstIndex(of: UInt8(ascii: "/")) ?? network.endIndex
            let text = String(decoding: network[..<slash], as: UTF8.self)
            let maxLength = name == "ip4" ? 32 : 128
            let length = slash == network.endIndex ? maxLength : try prefixLength(network[network.index(after: slash)...], max: maxLength)
            if name == "ip4" {
                guard let address = ipv4Network(text) else { throw SPFSyntaxError("'\(text)' is not an IPv4 network") }
                return .ip4(address, prefixLength: length)
            }
            guard let address = IPAddress(text), !address.isIPv4 else { throw SPFSyntaxError("'\(text)' is not an IPv6 network") }
            return .ip6(address, prefixLength: length)
        default:
            throw SPFSyntaxError("unknown mechanism '\(name)'")
        }
    }

    private static func requiredDomainSpec(_ rest: ArraySlice<UInt8>, _ name: String) throws(SPFSyntaxError) -> SPFMacroString {
        guard let spec = try optionalDomainSpec(rest, name) else { throw SPFSyntaxError("'\(name)' needs ':' and a domain") }
        return spec
    }

    /// Nothing, or `:` and a domain-spec.
    private static func optionalDomainSpec(_ rest: ArraySlice<UInt8>, _ name: String) throws(SPFSyntaxError) -> SPFMacroString? {
        guard let first = rest.first else { return nil }
        guard first == UInt8(ascii: ":") else { throw SPFSyntaxError("unexpected text after '\(name)'") }
        return try SPFMacroString.domainSpec(rest.dropFirst())
    }

    /// Removes a trailing `[/ip4-length][//ip6-length]` from `body`. A
    /// domain-spec cannot end in `/digits` (its top label has no `/`), so a
    /// slash and digits at the end are always a prefix length.
    private static func dualCIDR(_ body: inout ArraySlice<UInt8>) throws(SPFSyntaxError) -> DualCIDR {
        var cidr = DualCIDR()
        if let (digits, slash) = trailingLength(body), slash > body.startIndex, body[slash - 1] == UInt8(ascii: "/") {
            cidr.ipv6 = try prefixLength(digits, max: 128)
            body = body[..<(slash - 1)]
        }
        if let (digits, slash) = trailingLength(body) {
            cidr.ipv4 = try prefixLength(digits, max: 32)
            body = body[..<slash]
        }
        return cidr
    }

    /// The digits after the last `/` of `body`, and that slash's index, when they are all digits.
    private static func trailingLength(_ body: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Int)? {
        guard let slash = body.lastIndex(of: UInt8(ascii: "/")) else { return nil }
        let digits = body[(slash + 1)...]
        guard !digits.isEmpty, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        return (digits, slash)
    }

    /// A prefix length: decimal without leading zeros, at most `max` (§5.6).
    private static func prefixLength(_ digits: ArraySlice<UInt8>, max: Int) throws(SPFSyntaxError) -> Int {
        let text = String(decoding: digits, as: UTF8.self)
        guard !digits.isEmpty, digits.count <= 3, digits.first != UInt8(ascii: "0") || digits.count == 1,
              let value = Int(text), value <= max
        else { throw SPFSyntaxError("invalid prefix length '/\(text)'") }
        return value
    }

    /// `ip4-network`: four decimal octets, no leading zeros (§5.6).
    private static func ipv4Network(_ text: String) -> IPAddress? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                  part.first != "0" || part.count == 1, let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return IPAddress(bytes: bytes)
    }
}
