/// What a lookup found, in the terms SPF and DKIM need (RFC 7208 §4.4, RFC 6376 §6.1.2).
public enum DNSLookupResult: Sendable, Equatable {
    /// Answers of the asked type (after following CNAMEs); never empty.
    case records([DNSRecord])
    /// The name does not exist (RCODE 3).
    case nxdomain
    /// The name exists (NOERROR) but has no record of the asked type.
    case nodata
    /// No usable answer: every server and attempt timed out, SERVFAIL or
    /// REFUSED, network errors, a malformed or mismatched reply, or a CNAME
    /// chain that is too long or loops. Worth trying again later.
    case temporaryFailure(String)

    /// A short form for logs: `records(2)`, `nxdomain`, `temporary failure: …`.
    var summary: String {
        switch self {
        case let .records(records): "records(\(records.count))"
        case .nxdomain: "nxdomain"
        case .nodata: "nodata"
        case let .temporaryFailure(reason): "temporary failure: \(reason)"
        }
    }
}
