import ConduitDNS

/// RFC 9989's non-existent domain (§3.2, after RFC 9091): one for which A,
/// AAAA and MX all answer NXDOMAIN or NODATA. Asked only when `np` would
/// change the policy.
enum DMARCDomainExistence {
    /// `true` when any of A, AAAA, MX has records; `false` when none does
    /// (NXDOMAIN ends the check at once: the name has no records of any
    /// type); `nil` when a lookup failed for now.
    static func exists(_ domain: String, resolver: any DNSResolving) async -> Bool? {
        for type in [DNSRecordType.a, .aaaa, .mx] {
            switch await resolver.lookup(domain, type: type) {
            case .records: return true
            case .nxdomain: return false
            case .nodata: continue
            case .temporaryFailure: return nil
            }
        }
        return false
    }
}
