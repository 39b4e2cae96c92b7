public import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A stub resolver: sends recursive queries to the configured nameservers
/// (UDP, TCP when a reply is truncated, EDNS0) and caches answers for their
/// TTL. One instance is meant to be shared by the whole process.
public final class DNSResolver: DNSResolving {
    /// A recursive nameserver to ask.
    public struct Nameserver: Sendable, Equatable, CustomStringConvertible {
        /// An IPv4 or IPv6 literal (`192.0.2.53`, `2001:db8::53`).
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// CNAMEs followed per lookup, in one reply or across several.
    public static let maxCNAMEHops = 8
    /// Positive answers are kept at most a day, whatever their TTL.
    static let maxPositiveTTL: UInt32 = 86_400

    public let nameservers: [Nameserver]
    /// Per attempt, and again for the TCP retry of a truncated reply.
    public let timeout: Duration
    /// Rounds over the whole nameserver list.
    public let attempts: Int
    let logger: Logger
    let cache: DNSCache
    let transport: DNSTransport
    /// Lookups under way, so identical concurrent lookups share one query.
    private let inFlight = Mutex<[DNSCache.Key: Task<DNSLookupResult, Never>]>([:])

    public init(nameservers: [Nameserver], timeout: Duration = .seconds(2), attempts: Int = 2, logger: Logger, cacheCapacity: Int = 10_000) {
        self.nameservers = nameservers
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.logger = logger
        self.cache = DNSCache(capacity: cacheCapacity)
        self.transport = DNSTransport(group: MultiThreadedEventLoopGroup.singleton)
    }

    /// Looks up `name` (case-insensitive, trailing dot optional, `\DDD`
    /// escapes allowed). A name that cannot be encoded — an empty label, a
    /// label over 63 bytes, over 255 bytes on the wire — cannot exist in the
    /// DNS, so it is `.nxdomain` at once, with no query sent. Answers come
    /// from the cache while their TTL lasts; concurrent identical lookups
    /// share one query. Each lookup is logged at debug level.
    public func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult {
        guard let parsed = DNSName(name) else {
            log(name, type, .nxdomain, source: "invalid name")
            return .nxdomain
        }
        let key = DNSCache.Key(name: parsed.lowercased(), type: type.rawValue)
        if let cached = cache.get(key) {
            log(name, type, cached, source: "cache")
            return cached
        }
        let task = inFlight.withLock { tasks in
            if let running = tasks[key] { return running }
            let task = Task { await self.resolveAndCache(parsed, type: type, key: key) }
            tasks[key] = task
            return task
        }
        let result = await task.value
        log(name, type, result, source: "network")
        return result
    }

    private func resolveAndCache(_ name: DNSName, type: DNSRecordType, key: DNSCache.Key) async -> DNSLookupResult {
        let (result, ttl) = await resolve(name, type: type)
        if let ttl { cache.put(key, result, ttl: ttl) }
        inFlight.withLock { $0[key] = nil }
        return result
    }

    /// Asks for `name`, then for each CNAME target a reply leaves unresolved.
    /// Returns the result and how long it may be cached (`nil`: not at all).
    func resolve(_ name: DNSName, type: DNSRecordType) async -> (DNSLookupResult, UInt32?) {
        var current = name
        var seen: Set<DNSName> = [name.lowercased()]
        var hops = 0
        var ttl = UInt32.max
        while true {
            let reply: DNSMessage
            switch await exchange(current, type: type) {
            case let .failure(reason): return (.temporaryFailure(reason), nil)
            case let .reply(message): reply = message
            }
            switch DNSReplyOutcome.interpret(reply, name: current, type: type.rawValue, hopBudget: Self.maxCNAMEHops - hops) {
            case let .records(records, recordsTTL, _):
                return (.records(records), Self.cacheTTL(min(ttl, recordsTTL), cap: Self.maxPositiveTTL))
            case let .nxdomain(negativeTTL):
                return (.nxdomain, Self.cacheTTL(min(ttl, negativeTTL), cap: DNSReplyOutcome.maxNegativeTTL))
            case let .nodata(negativeTTL):
                return (.nodata, Self.cacheTTL(min(ttl, negativeTTL), cap: DNSReplyOutcome.maxNegativeTTL))
            case let .failure(reason):
                return (.temporaryFailure(reason), nil)
            case let .alias(target, names, aliasTTL, aliasHops):
                hops += aliasHops
                ttl = min(ttl, aliasTTL)
                for followed in names.dropFirst() where !seen.insert(followed).inserted {
                    return (.temporaryFailure("CNAME loop at \(followed)"), nil)
                }
                current = target
            }
        }
    }

    /// RFC 2181 §8: a TTL with the top bit set means zero. Zero is not cached.
    private static func cacheTTL(_ ttl: UInt32, cap: UInt32) -> UInt32? {
        let ttl = ttl > UInt32(Int32.max) ? 0 : min(ttl, cap)
        return ttl == 0 ? nil : ttl
    }

    private func log(_ name: String, _ type: DNSRecordType, _ result: DNSLookupResult, source: String) {
        logger.debug("DNS lookup", metadata: [
            "dns.name": "\(name)", "dns.type": "\(type)", "dns.outcome": "\(result.summary)", "dns.source": "\(source)",
        ])
    }
}
