import ConduitCore

extension IPAddress {
    /// Whether this address lies in `network/prefixLength` of the same family.
    func isIn(_ network: IPAddress, prefixLength: Int) -> Bool {
        guard bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for (own, other) in zip(bytes, network.bytes) where remaining > 0 {
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - min(8, remaining)))
            if own & mask != other & mask { return false }
            remaining -= 8
        }
        return true
    }

    /// The `%{i}` value (RFC 7208 §7.3): the dotted quad, or for IPv6 the 32
    /// nibbles dot-separated, uppercase as the RFC 7208 test suite expects.
    var spfDotted: String {
        guard !isIPv4 else { return description }
        return nibbles.map { String($0, radix: 16, uppercase: true) }.joined(separator: ".")
    }

    /// The reverse-mapping name: `4.3.2.1.in-addr.arpa` or the `ip6.arpa` nibble form.
    var reversePointerName: String {
        if isIPv4 { return bytes.reversed().map(String.init).joined(separator: ".") + ".in-addr.arpa" }
        return nibbles.reversed().map { String($0, radix: 16) }.joined(separator: ".") + ".ip6.arpa"
    }

    private var nibbles: [UInt8] { bytes.flatMap { [$0 >> 4, $0 & 0x0F] } }
}
