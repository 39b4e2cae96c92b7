import ConduitCore
import ConduitDNS

/// One run of check_host() (RFC 7208 §4) and everything it shares across
/// `include:` and `redirect=`: the inputs, the DNS-term and void-lookup
/// counters (§4.6.4) and the deadline. Lives inside one task, never shared.
final class SPFEvaluation {
    /// What ends the whole evaluation at once.
    enum Abort: Error, Equatable {
        case permerror(String)
        case temperror(String)
    }

    /// An `exp=` domain-spec and the domain whose record held it (`%{d}`).
    struct ExplanationSource: Equatable {
        let spec: SPFMacroString
        let domain: String
    }

    /// A result, and for `fail` the `exp=` of the record that gave it.
    struct Outcome: Equatable {
        var result: SPFResult
        var explanation: ExplanationSource? = nil
    }

    /// Terms that query the DNS: include, a, mx, ptr, exists, redirect.
    static let maxDNSTerms = 10
    /// Terms whose lookup found nothing (NXDOMAIN or no records).
    static let maxVoidLookups = 2
    /// Names looked at per `mx` (more is permerror) and per `ptr` or `%{p}` (more are ignored).
    static let maxNamesPerTerm = 10

    let resolver: any DNSResolving
    /// The client address; IPv4-mapped IPv6 is already IPv4 (§5).
    let ip: IPAddress
    let sender: SPFSender
    let helo: String
    let receiver: String
    let timestamp: Int
    let deadline: ContinuousClock.Instant

    private(set) var dnsTerms = 0
    private(set) var voidLookups = 0
    /// `%{p}` per current domain, since the preferred name depends on it.
    var validatedNames: [String: String] = [:]

    init(resolver: any DNSResolving, ip: IPAddress, sender: SPFSender, helo: String, receiver: String, timestamp: Int, deadline: ContinuousClock.Instant) {
        self.resolver = resolver
        self.ip = ip.unmapped
        self.sender = sender
        self.helo = helo
        self.receiver = receiver
        self.timestamp = timestamp
        self.deadline = deadline
    }

    /// A DNS lookup, unless the time for the whole check is up (§4.6.4: temperror).
    func lookup(_ name: String, _ type: DNSRecordType) async throws(Abort) -> DNSLookupResult {
        guard ContinuousClock.now < deadline else { throw .temperror("SPF evaluation took too long") }
        return await resolver.lookup(name, type: type)
    }

    /// Counts a term that queries the DNS; the 11th is permerror.
    func countDNSTerm() throws(Abort) {
        dnsTerms += 1
        guard dnsTerms <= Self.maxDNSTerms else { throw .permerror("more than \(Self.maxDNSTerms) DNS-querying terms") }
    }

    /// Counts a term whose lookup was void; the 3rd is permerror.
    func countVoidLookup() throws(Abort) {
        voidLookups += 1
        guard voidLookups <= Self.maxVoidLookups else { throw .permerror("more than \(Self.maxVoidLookups) void lookups") }
    }

    /// The addresses of `name` of the client's family (A for IPv4, AAAA for
    /// IPv6); `nil` for NXDOMAIN or no records. A temporary DNS failure
    /// aborts with temperror, or with `skippingFailures` gives no addresses.
    func addresses(of name: String, skippingFailures: Bool = false) async throws(Abort) -> [IPAddress]? {
        switch try await lookup(name, ip.isIPv4 ? .a : .aaaa) {
        case let .records(records):
            return records.compactMap { record in
                switch record.data {
                case let .a(address), let .aaaa(address): address
                default: nil
                }
            }
        case .nxdomain, .nodata:
            return nil
        case let .temporaryFailure(reason):
            if skippingFailures { return [] }
            throw .temperror("\(name): \(reason)")
        }
    }
}
