import ConduitDNS

extension SPFEvaluation {
    /// The explanation for a `fail` (RFC 7208 §6.2): the one TXT record at
    /// the expanded `exp=` target, macro-expanded. Any problem — a DNS
    /// error, no record or several, non-ASCII or bad macro syntax, the time
    /// limit — means no explanation, never a different result. Its lookup
    /// counts against no limit.
    func explanation(_ source: ExplanationSource) async -> String? {
        do {
            let target = try await expandDomain(source.spec, domain: source.domain)
            guard case let .records(records) = try await lookup(target, .txt) else { return nil }
            let texts = records.compactMap { record -> [UInt8]? in
                guard record.type == DNSRecordType.txt.rawValue, case let .txt(strings) = record.data else { return nil }
                return Array(strings.joined())
            }
            guard texts.count == 1, let text = texts.first else { return nil }
            let string = try SPFMacroString(parsing: text, context: .explanation)
            return try await expand(string, domain: source.domain)
        } catch {
            return nil
        }
    }
}
