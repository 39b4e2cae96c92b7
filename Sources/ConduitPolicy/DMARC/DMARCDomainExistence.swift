import ConduitDNS

/// RFC 9989's non-existent domain, as RFC 8020 means it: a name whose query
/// is answered NXDOMAIN (then it and every name below it do not exist). An
/// empty non-terminal (NOERROR, no data) exists. Asked only when `np` would
/// change the policy.
enum DMARCDomainExistence {
    /// `false` on NXDOMAIN, `true` on any other answer to an A query
    /// (records or NODATA); `nil` when the lookup failed for now.
    static func exists(_ domain: String, resolver: any DNSResolving) async -> Bool? {
        switch await resolver.lookup(domain, type: .a) {
        case .records, .nodata: true
        case .nxdomain: false
        case .temporaryFailure: nil
        }
    }
}
