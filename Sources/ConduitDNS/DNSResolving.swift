/// Looks up DNS records. `DNSResolver` is the real one; tests of SPF, DKIM
/// and domain verification use in-memory fakes.
public protocol DNSResolving: Sendable {
    /// Looks up records of `type` at `name` (case-insensitive, trailing dot
    /// optional). Never throws: every failure is a `DNSLookupResult`.
    func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult
}
