public import ConduitDNS
import Synchronization

/// The DNS Tree Walk of RFC 9989 §4.10: policy discovery and the
/// Organizational Domain, from `_dmarc` TXT records only (no public suffix
/// list). One walk object serves one message: every `_dmarc` name is looked
/// up at most once however many identifiers need it (the resolver's TTL
/// cache serves repeats across messages).
public final class DMARCTreeWalk: Sendable {
    /// At most this many `_dmarc` queries per walk (§4.10).
    public static let maxQueries = 8

    /// What a walk step found at one name.
    public enum Level: Sendable, Equatable {
        /// Exactly one DMARC record.
        case record(DMARCRecord)
        /// No DMARC record: no TXT, only other TXT records, or several
        /// DMARC records (§4.10 step 2 discards them all).
        case noRecord
        /// The lookup failed for now (timeout, SERVFAIL…).
        case temporaryFailure(String)
    }

    /// Policy discovery's answer (§4.10.1).
    public enum Discovery: Sendable, Equatable {
        /// `record` was found at `domain` (the author domain or an ancestor).
        case found(domain: String, record: DMARCRecord)
        case notFound
        case temporaryFailure(String)
    }

    private let resolver: any DNSResolving
    private let levels = Mutex<[String: Level]>([:])

    public init(resolver: any DNSResolving) {
        self.resolver = resolver
    }

    /// The names a walk from `domain` asks about, in order (§4.10 steps 4–8):
    /// the name itself; then, when it has eight labels or more, its seven
    /// right-most labels; then one label fewer each time, down to the last
    /// label. Never more than `maxQueries` names.
    public static func targets(from domain: String) -> [String] {
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !domain.isEmpty else { return [] }
        var names = [domain]
        for count in stride(from: min(labels.count - 1, maxQueries - 1), through: 1, by: -1) {
            names.append(labels.suffix(count).joined(separator: "."))
        }
        return names
    }

    /// The DMARC Policy Record for `authorDomain` and where it was found
    /// (§4.10.1). The author domain's own record when it has one; otherwise
    /// the record of its Organizational Domain as the walk determines it,
    /// or, when the walk stops at a `psd=y` record with no record one label
    /// below it, that Public Suffix Domain's record.
    public func discoverPolicy(for authorDomain: String) async -> Discovery {
        switch await level(authorDomain) {
        case let .record(record): return .found(domain: authorDomain, record: record)
        case let .temporaryFailure(reason): return .temporaryFailure("_dmarc.\(authorDomain): \(reason)")
        case .noRecord: break
        }
        let walk = await walkLevels(from: authorDomain)
        if case let .temporaryFailure(reason) = walk.failure { return .temporaryFailure(reason) }
        guard !walk.found.isEmpty else { return .notFound }
        let last = walk.found[walk.found.count - 1]
        if last.record.publicSuffix == .yes, let organizational = Self.oneBelow(last.domain, within: authorDomain),
           let match = walk.found.first(where: { $0.domain == organizational }) {
            return .found(domain: match.domain, record: match.record)
        }
        return .found(domain: last.domain, record: last.record)
    }

    /// The Organizational Domain of `domain` (§4.10.2): the first record on
    /// the walk with `psd=n`; else one label below the first `psd=y` record
    /// above `domain`; else the record found with the fewest labels; else
    /// `domain` itself. `nil` when a lookup failed before any of these was
    /// certain.
    public func organizationalDomain(of domain: String) async -> String? {
        let walk = await walkLevels(from: domain)
        if walk.failure != nil { return nil }
        guard let last = walk.found.last else { return domain }
        if last.record.publicSuffix == .yes, last.domain != domain {
            return Self.oneBelow(last.domain, within: domain) ?? domain
        }
        return last.domain
    }

    /// The records met walking up from `domain`, nearest first, up to and
    /// including the first with `psd=n`, or with `psd=y` above `domain`, where
    /// the walk stops; `failure` when a lookup failed before it stopped.
    private func walkLevels(from domain: String) async -> (found: [(domain: String, record: DMARCRecord)], failure: Level?) {
        var found: [(domain: String, record: DMARCRecord)] = []
        for name in Self.targets(from: domain) {
            switch await level(name) {
            case let .record(record):
                found.append((name, record))
                if record.publicSuffix == .no || (record.publicSuffix == .yes && name != domain) { return (found, nil) }
            case .noRecord:
                continue
            case let .temporaryFailure(reason):
                return (found, .temporaryFailure("_dmarc.\(name): \(reason)"))
            }
        }
        return (found, nil)
    }

    /// The name of `within`'s right-most labels, one more than `ancestor` has.
    private static func oneBelow(_ ancestor: String, within domain: String) -> String? {
        let count = ancestor.split(separator: ".").count + 1
        let labels = domain.split(separator: ".")
        guard labels.count >= count else { return nil }
        return labels.suffix(count).joined(separator: ".")
    }

    /// The `_dmarc.<name>` TXT answer as a walk step sees it, looked up once.
    func level(_ name: String) async -> Level {
        if let known = levels.withLock({ $0[name] }) { return known }
        let result: Level
        switch await resolver.lookup("_dmarc.\(name)", type: .txt) {
        case let .records(records):
            let parsed = records.compactMap { record -> DMARCRecord? in
                guard record.type == DNSRecordType.txt.rawValue, let text = record.data.txtText else { return nil }
                return DMARCRecord.parse(text)
            }
            result = parsed.count == 1 ? .record(parsed[0]) : .noRecord
        case .nxdomain, .nodata:
            result = .noRecord
        case let .temporaryFailure(reason):
            result = .temporaryFailure(reason)
        }
        levels.withLock { $0[name] = result }
        return result
    }
}
