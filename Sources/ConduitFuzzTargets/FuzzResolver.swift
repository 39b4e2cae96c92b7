import ConduitCore
import ConduitDNS

/// A resolver that answers from the fuzz input (hermetic: the real resolver
/// is tested against a real DNS server elsewhere). Each answer is one section
/// of the input. A section whose first line is `@name` answers that name
/// (any type), `@name/TYPE` (`TXT`, `A`, …) that name and type only; seeds
/// use them to publish keys and records where the names point. A lookup
/// of any other name gets one of the other sections, chosen by a stable hash
/// of its lower-cased name and type, so every name a policy asks for gets
/// some answer and a crash input replays exactly. An answer reads:
/// `NXDOMAIN` → no such name, `TEMPFAIL` → temporary failure, empty → no
/// data; otherwise one record per line: TXT/SPF text (split into strings of
/// 255 bytes, as on the wire), an address for A/AAAA, `preference host`
/// or `host` for MX, a name for PTR. Lines that are not of the asked type
/// are skipped; none left is no data.
struct FuzzResolver: DNSResolving {
    private var named: [String: [UInt8]] = [:]
    private var pool: [[UInt8]] = []

    init(answers: [[UInt8]]) {
        for answer in answers {
            if answer.first == UInt8(ascii: "@") {
                let end = answer.firstIndex(of: UInt8(ascii: "\n")) ?? answer.endIndex
                // `@name` or `@name/TYPE`; the type as `DNSRecordType` prints it.
                var name = String(decoding: answer[1..<end], as: UTF8.self)
                if let slash = name.lastIndex(of: "/") {
                    name = name[..<slash].lowercased() + "/" + name[name.index(after: slash)...].uppercased()
                } else {
                    name = name.lowercased()
                }
                named[name] = Array(answer[min(end + 1, answer.endIndex)...])
            } else {
                pool.append(answer)
            }
        }
    }

    func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult {
        answer(name, type: type)
    }

    func answer(_ name: String, type: DNSRecordType) -> DNSLookupResult {
        let lowered = name.lowercased()
        let text: [UInt8]
        if let answer = named["\(lowered)/\(type)"] ?? named[lowered] {
            text = answer
        } else if !pool.isEmpty {
            text = pool[Int(FuzzInput.stableHash("\(lowered)/\(type.rawValue)") % UInt64(pool.count))]
        } else {
            return .nxdomain
        }
        if text.starts(with: Array("NXDOMAIN".utf8)) { return .nxdomain }
        if text.starts(with: Array("TEMPFAIL".utf8)) { return .temporaryFailure("fuzz") }
        var records: [DNSRecord] = []
        for line in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true).prefix(32) {
            guard let data = Self.recordData(Array(line), type: type) else { continue }
            records.append(DNSRecord(name: name, type: type.rawValue, ttl: 300, data: data))
        }
        return records.isEmpty ? .nodata : .records(records)
    }

    static func recordData(_ line: [UInt8], type: DNSRecordType) -> DNSRecordData? {
        let text = String(decoding: line, as: UTF8.self)
        switch type {
        case .txt, .spf:
            var strings: [[UInt8]] = []
            var rest = line[...]
            repeat {
                strings.append(Array(rest.prefix(255)))
                rest = rest.dropFirst(255)
            } while !rest.isEmpty
            return .txt(strings)
        case .a:
            guard let address = IPAddress(text), address.isIPv4 else { return nil }
            return .a(address)
        case .aaaa:
            guard let address = IPAddress(text), !address.isIPv4 else { return nil }
            return .aaaa(address)
        case .mx:
            let parts = text.split(separator: " ", maxSplits: 1)
            if parts.count == 2, let preference = UInt16(parts[0]) { return .mx(preference: preference, exchange: String(parts[1])) }
            return .mx(preference: 10, exchange: text)
        case .ptr:
            return .ptr(text)
        default:
            return nil
        }
    }
}
