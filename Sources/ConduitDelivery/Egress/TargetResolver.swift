public import ConduitCore
public import ConduitDNS

/// Turns a webhook host into addresses with Conduit's own resolver (the
/// `[dns]` nameservers), so the SSRF check and the connect see the same
/// answer and nothing else is asked in between.
public struct TargetResolver: Sendable {
    let resolver: any DNSResolving

    public init(resolver: any DNSResolving) {
        self.resolver = resolver
    }

    /// IPv4 first, then IPv6 (hosts without IPv6 routes are common, and the
    /// connect tries the addresses in order). IP literals are taken as they
    /// are; `localhost` is loopback (RFC 6761 §6.3) without asking DNS.
    public func resolve(_ host: String) async -> Result<[IPAddress], EgressRefusal> {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if let literal = IPAddress(name) { return .success([literal]) }
        if name.hasSuffix(".") { name.removeLast() }
        if name == "localhost" || name.hasSuffix(".localhost") {
            return .success([IPAddress("127.0.0.1")!, IPAddress("::1")!])
        }
        let query = name
        async let v4 = resolver.lookup(query, type: .a)
        async let v6 = resolver.lookup(query, type: .aaaa)
        let answers = await [v4, v6]
        var addresses: [IPAddress] = []
        for answer in answers {
            guard case let .records(records) = answer else { continue }
            for record in records {
                switch record.data {
                case let .a(address), let .aaaa(address): addresses.append(address)
                default: break
                }
            }
        }
        if !addresses.isEmpty { return .success(addresses) }
        for answer in answers {
            if case let .temporaryFailure(reason) = answer {
                return .failure(EgressRefusal(reason: "DNS lookup of \(name) failed: \(reason)"))
            }
        }
        return .failure(EgressRefusal(reason: "\(name) has no A or AAAA record"))
    }
}
