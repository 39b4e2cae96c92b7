/// What one reply says about one question, CNAMEs in its answer section
/// followed (RFC 1034 §3.6.2, §5.3.3). Pure, so it is tested without I/O.
enum DNSReplyOutcome: Equatable {
    /// Records of the asked type for `name` or the end of its CNAME chain;
    /// `ttl` is the smallest TTL among them and the CNAMEs followed.
    case records([DNSRecord], ttl: UInt32, hops: Int)
    /// The chain ends in a CNAME whose target's records are not in the
    /// reply: ask again for `target`. `names` are the owners followed, in order.
    case alias(target: DNSName, names: [DNSName], ttl: UInt32, hops: Int)
    case nxdomain(ttl: UInt32)
    case nodata(ttl: UInt32)
    case failure(String)

    /// Negative answers without an SOA are kept this long.
    static let defaultNegativeTTL: UInt32 = 60
    static let maxNegativeTTL: UInt32 = 3600

    /// Reads `reply` (NOERROR or NXDOMAIN) as the answer for `name`/`type`,
    /// following at most `hopBudget` CNAMEs. Only class-IN records owned by
    /// the name being followed count, so unrelated records a server adds are ignored.
    static func interpret(_ reply: DNSMessage, name: DNSName, type: UInt16, hopBudget: Int) -> DNSReplyOutcome {
        var current = name.lowercased()
        var names = [current]
        var hops = 0
        var ttl = UInt32.max
        let relevant = reply.answers.filter { $0.recordClass == 1 }
        while true {
            let owned = relevant.filter { DNSName($0.name)?.lowercased() == current }
            let matching = owned.filter { $0.type == type }
            if !matching.isEmpty {
                return .records(matching, ttl: matching.reduce(ttl) { min($0, $1.ttl) }, hops: hops)
            }
            guard let alias = owned.first(where: { $0.type == DNSRecordType.cname.rawValue }),
                  case let .cname(targetText) = alias.data
            else { break }
            guard let target = DNSName(targetText)?.lowercased() else { return .failure("CNAME target '\(targetText)' is not a valid name") }
            hops += 1
            guard hops <= hopBudget else { return .failure("CNAME chain longer than \(DNSResolver.maxCNAMEHops) for \(name)") }
            guard !names.contains(target) else { return .failure("CNAME loop at \(target)") }
            ttl = min(ttl, alias.ttl)
            names.append(target)
            current = target
        }
        let negativeTTL = min(ttl, negativeCacheTTL(reply))
        if reply.rcode == DNSMessage.nameError { return .nxdomain(ttl: negativeTTL) }
        if hops > 0 { return .alias(target: current, names: names, ttl: ttl, hops: hops) }
        return .nodata(ttl: negativeTTL)
    }

    /// RFC 2308 §5: the smaller of the authority SOA's TTL and its MINIMUM
    /// field, capped at an hour; a minute without an SOA.
    static func negativeCacheTTL(_ reply: DNSMessage) -> UInt32 {
        for record in reply.authority where record.type == DNSRecordType.soa.rawValue {
            guard case let .other(_, data) = record.data, data.count >= 22 else { continue }
            let minimum = data.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            return min(record.ttl, minimum, maxNegativeTTL)
        }
        return defaultNegativeTTL
    }
}
