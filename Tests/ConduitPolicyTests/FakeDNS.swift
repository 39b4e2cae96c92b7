import ConduitCore
import ConduitDNS
@testable import ConduitPolicy
import Logging
import Synchronization

/// An in-memory DNS for SPF tests: names not in the table are NXDOMAIN,
/// names without the asked type are NODATA; every query is recorded.
final class FakeDNS: DNSResolving {
    enum Entry {
        /// One TXT record with one character-string.
        case txt(String)
        /// One TXT record with these character-strings (maybe none).
        case strings([String])
        /// A record of RR type 99, which SPF must not consult.
        case spf(String)
        case a(String)
        case aaaa(String)
        case mx(UInt16, String)
        case ptr(String)
        /// Lookups of this type fail as a timeout would.
        case timeout(DNSRecordType)
    }

    private let zone: [String: [Entry]]
    private let log = Mutex<[String]>([])

    init(_ zone: [String: [Entry]]) {
        self.zone = Dictionary(zone.map { (Self.key($0.key), $0.value) }, uniquingKeysWith: +)
    }

    /// Queries so far, as `TYPE name`.
    var queries: [String] { log.withLock { $0 } }

    func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult {
        log.withLock { $0.append("\(type) \(name)") }
        guard let entries = zone[Self.key(name)] else { return .nxdomain }
        var records: [DNSRecord] = []
        for entry in entries {
            let data: DNSRecordData
            let entryType: DNSRecordType
            switch entry {
            case let .timeout(failing):
                if failing == type { return .temporaryFailure("timed out") }
                continue
            case let .txt(text):
                (data, entryType) = (.txt([Array(text.utf8)]), .txt)
            case let .strings(strings):
                (data, entryType) = (.txt(strings.map { Array($0.utf8) }), .txt)
            case let .spf(text):
                (data, entryType) = (.txt([Array(text.utf8)]), .spf)
            case let .a(text):
                (data, entryType) = (.a(IPAddress(text)!), .a)
            case let .aaaa(text):
                (data, entryType) = (.aaaa(IPAddress(text)!), .aaaa)
            case let .mx(preference, exchange):
                (data, entryType) = (.mx(preference: preference, exchange: exchange), .mx)
            case let .ptr(target):
                (data, entryType) = (.ptr(target), .ptr)
            }
            if entryType == type { records.append(DNSRecord(name: name, type: type.rawValue, ttl: 60, data: data)) }
        }
        return records.isEmpty ? .nodata : .records(records)
    }

    private static func key(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }
}

/// A checker over `zone`, and shorthands for the usual call.
struct SPFFixture {
    let dns: FakeDNS
    let checker: SPFChecker

    init(_ zone: [String: [FakeDNS.Entry]], receiver: String = "mx.conduit.test", timeLimit: Duration = .seconds(20)) {
        dns = FakeDNS(zone)
        checker = SPFChecker(resolver: dns, logger: Logger(label: "test"), receiver: receiver, timeLimit: timeLimit)
    }

    func check(_ ip: String, _ mailFrom: String, helo: String = "mail.example.org") async -> SPFVerdict {
        await checker.check(ip: IPAddress(ip)!, mailFrom: mailFrom, helo: helo)
    }

    func result(_ ip: String, _ mailFrom: String, helo: String = "mail.example.org") async -> SPFResult {
        await check(ip, mailFrom, helo: helo).result
    }
}
