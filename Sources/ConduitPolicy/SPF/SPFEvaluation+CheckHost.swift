import ConduitCore
import ConduitDNS

extension SPFEvaluation {
    /// check_host() for `domain` (RFC 7208 §4): `none` when the domain is
    /// malformed or publishes no record, else the first matching directive's
    /// result, the redirect's result, or `neutral`. Errors abort the whole check.
    func checkHost(_ domain: String) async throws(Abort) -> Outcome {
        guard let domain = Self.validDomain(domain) else { return Outcome(result: .none) }
        guard let record = try await record(for: domain) else { return Outcome(result: .none) }
        for directive in record.directives {
            guard try await matches(directive.mechanism, domain: domain) else { continue }
            let result = directive.qualifier.result
            let explanation = result == .fail ? record.explanation.map { ExplanationSource(spec: $0, domain: domain) } : nil
            return Outcome(result: result, explanation: explanation)
        }
        // An `all` anywhere would have matched above, so a redirect here is never one §6.1 says to ignore.
        if let redirect = record.redirect {
            try countDNSTerm()
            let outcome = try await checkHost(try await expandDomain(redirect, domain: domain))
            guard outcome.result != .none else { throw .permerror("redirect target has no SPF record") }
            return outcome
        }
        return Outcome(result: .neutral)
    }

    /// The one SPF record of `domain` (§4.4, §4.5), `nil` when there is none.
    /// SPF (type 99) records are not consulted.
    func record(for domain: String) async throws(Abort) -> SPFRecord? {
        let texts: [[UInt8]]
        switch try await lookup(domain, .txt) {
        case let .records(records):
            texts = records.compactMap { record in
                guard record.type == DNSRecordType.txt.rawValue, case let .txt(strings) = record.data else { return nil }
                return Array(strings.joined())
            }
        case .nxdomain, .nodata:
            return nil
        case let .temporaryFailure(reason):
            throw .temperror("TXT \(domain): \(reason)")
        }
        let candidates = texts.filter(SPFRecord.isSPF)
        guard candidates.count <= 1 else { throw .permerror("\(domain) has \(candidates.count) SPF records") }
        guard let text = candidates.first else { return nil }
        do {
            return try SPFRecord.parse(text)
        } catch {
            throw .permerror("\(domain): \(error)")
        }
    }

    /// `domain` without a final dot if it can be checked (§4.3): at least two
    /// labels of 1 to 63 bytes, at most 253 bytes, ending in a valid top
    /// label (so no IP address or `[literal]`); `nil` otherwise.
    static func validDomain(_ domain: String) -> String? {
        var name = Substring(domain)
        if name.hasSuffix(".") { name.removeLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard name.utf8.count <= 253, labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }),
              let top = labels.last, SPFMacroString.isTopLabel(top)
        else { return nil }
        return String(name)
    }
}
