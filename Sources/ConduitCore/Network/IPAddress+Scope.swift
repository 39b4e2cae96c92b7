/// What kind of network an address belongs to, for the webhook SSRF guard
/// (docs/DELIVERY.md, "One HTTP client, and the SSRF guard"): only `.global` addresses may be connected to unless
/// `[delivery] allow_private_targets` is set.
public enum AddressScope: String, Sendable, Equatable {
    case global
    /// 0.0.0.0/8, `::`.
    case unspecified
    /// 127.0.0.0/8, `::1`.
    case loopback
    /// RFC 1918, RFC 6598 shared address space (100.64.0.0/10), IETF
    /// protocol assignments (192.0.0.0/24), benchmarking (198.18.0.0/15),
    /// unique local fc00::/7, the local-use NAT64 prefix 64:ff9b:1::/48
    /// (RFC 8215: it maps into a private network's IPv4 space, in whatever
    /// layout that network chose, so the IPv4 it carries cannot be judged).
    case `private`
    /// 169.254.0.0/16 (cloud metadata lives here), fe80::/10.
    case linkLocal
    /// 224.0.0.0/4, ff00::/8.
    case multicast
    /// 240.0.0.0/4 and the broadcast address, documentation ranges
    /// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32),
    /// discard-only 100::/64, and the tunnel relays whose far end is some
    /// other host's IPv4: the deprecated 6to4 relay anycast 192.88.99.0/24
    /// (RFC 7526) and Teredo 2001::/32 (RFC 4380, the client's IPv4 is
    /// obfuscated in the last 32 bits) — nothing a webhook should live on.
    case reserved
}

extension IPAddress {
    /// The scope of this address. IPv4-mapped (`::ffff:a.b.c.d`),
    /// IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4
    /// (`2002:AABB:CCDD::/48`) forms are judged by the IPv4 address they
    /// carry, so `::ffff:127.0.0.1` is loopback, not global.
    public var scope: AddressScope {
        if let embedded = embeddedIPv4 { return embedded.scope }
        return isIPv4 ? Self.ipv4Scope(bytes) : Self.ipv6Scope(bytes)
    }

    /// The IPv4 address an IPv6 address carries in one of the forms above.
    var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        let b = bytes
        if b[0..<10].allSatisfy({ $0 == 0 }), b[10] == 0xFF, b[11] == 0xFF { return IPAddress(bytes: Array(b[12..<16])) }
        // ::a.b.c.d (deprecated "compatible"), but not :: or ::1.
        if b[0..<12].allSatisfy({ $0 == 0 }), !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1) {
            return IPAddress(bytes: Array(b[12..<16]))
        }
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B, b[4..<12].allSatisfy({ $0 == 0 }) {
            return IPAddress(bytes: Array(b[12..<16]))
        }
        if b[0] == 0x20, b[1] == 0x02 { return IPAddress(bytes: Array(b[2..<6])) }
        return nil
    }

    private static func ipv4Scope(_ b: [UInt8]) -> AddressScope {
        switch (b[0], b[1], b[2]) {
        case (0, _, _): return .unspecified
        case (127, _, _): return .loopback
        case (10, _, _), (172, 16...31, _), (192, 168, _), (100, 64...127, _), (192, 0, 0), (198, 18...19, _): return .private
        case (169, 254, _): return .linkLocal
        case (224...239, _, _): return .multicast
        case (240...255, _, _), (192, 0, 2), (198, 51, 100), (203, 0, 113), (192, 88, 99): return .reserved
        default: return .global
        }
    }

    private static func ipv6Scope(_ b: [UInt8]) -> AddressScope {
        if b.allSatisfy({ $0 == 0 }) { return .unspecified }
        if b[0..<15].allSatisfy({ $0 == 0 }), b[15] == 1 { return .loopback }
        if b[0] == 0xFF { return .multicast }
        if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return .linkLocal }
        // fec0::/10, the deprecated site-local range, is private too.
        if b[0] & 0xFE == 0xFC || (b[0] == 0xFE && b[1] & 0xC0 == 0xC0) { return .private }
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0D, b[3] == 0xB8 { return .reserved }
        // Teredo, 2001:0000::/32.
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x00, b[3] == 0x00 { return .reserved }
        // Local-use NAT64, 64:ff9b:1::/48.
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B, b[4] == 0x00, b[5] == 0x01 { return .private }
        if b[0] == 0x01, b[1..<8].allSatisfy({ $0 == 0 }) { return .reserved }
        return .global
    }
}
