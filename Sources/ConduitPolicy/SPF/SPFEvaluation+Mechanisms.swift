import ConduitCore
import ConduitDNS

extension SPFEvaluation {
    /// Whether `mechanism` matches the client (RFC 7208 §5), `domain` being
    /// the current `<domain>`. Counts DNS terms and void lookups as it goes.
    func matches(_ mechanism: SPFRecord.Mechanism, domain: String) async throws(Abort) -> Bool {
        if mechanism.queriesDNS { try countDNSTerm() }
        switch mechanism {
        case .all:
            return true
        case let .ip4(network, length), let .ip6(network, length):
            return ip.isIn(network, prefixLength: length)
        case let .include(spec):
            let target = try await expandDomain(spec, domain: domain)
            switch try await checkHost(target).result {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .none: throw .permerror("include:\(target) has no SPF record")
            case .temperror: throw .temperror("include:\(target) failed")
            case .permerror: throw .permerror("include:\(target) failed")
            }
        case let .a(spec, cidr):
            let target = try await target(spec, domain: domain)
            guard let addresses = try await addresses(of: target) else {
                try countVoidLookup()
                return false
            }
            return addresses.contains { ip.isIn($0, prefixLength: ip.isIPv4 ? cidr.ipv4 : cidr.ipv6) }
        case let .mx(spec, cidr):
            return try await matchesMX(try await target(spec, domain: domain), cidr: cidr)
        case let .ptr(spec):
            let target = try await target(spec, domain: domain)
            guard let names = try await pointerNames() else { return false }
            let candidates = names.filter { Self.isSubdomain($0, of: target) }
            for name in candidates {
                if try await validates(name) { return true }
            }
            return false
        case let .exists(spec):
            let target = try await expandDomain(spec, domain: domain)
            switch try await lookup(target, .a) {
            case .records: return true
            case .nxdomain, .nodata:
                try countVoidLookup()
                return false
            case let .temporaryFailure(reason):
                throw .temperror("A \(target): \(reason)")
            }
        }
    }

    /// The expanded domain-spec, or the current domain when there is none.
    private func target(_ spec: SPFMacroString?, domain: String) async throws(Abort) -> String {
        guard let spec else { return domain }
        return try await expandDomain(spec, domain: domain)
    }

    /// §5.4: the MX hosts' addresses. More than 10 MX records is permerror;
    /// a null MX (`.`) has no addresses.
    private func matchesMX(_ target: String, cidr: SPFRecord.DualCIDR) async throws(Abort) -> Bool {
        let exchanges: [String]
        switch try await lookup(target, .mx) {
        case let .records(records):
            exchanges = records.compactMap { if case let .mx(_, exchange) = $0.data { exchange } else { nil } }
        case .nxdomain, .nodata:
            try countVoidLookup()
            return false
        case let .temporaryFailure(reason):
            throw .temperror("MX \(target): \(reason)")
        }
        guard exchanges.count <= Self.maxNamesPerTerm else { throw .permerror("\(target) has more than \(Self.maxNamesPerTerm) MX records") }
        let length = ip.isIPv4 ? cidr.ipv4 : cidr.ipv6
        for exchange in exchanges where exchange != "." && !exchange.isEmpty {
            if let addresses = try await addresses(of: exchange), addresses.contains(where: { ip.isIn($0, prefixLength: length) }) {
                return true
            }
        }
        return false
    }

    /// The first 10 names the client's PTR records give, lowercased, no final
    /// dot; `nil` when the lookup is void (counted) or fails (§5.5: no match).
    func pointerNames(countingVoid: Bool = true) async throws(Abort) -> [String]? {
        switch try await lookup(ip.reversePointerName, .ptr) {
        case let .records(records):
            let names = records.compactMap { record -> String? in
                guard case let .ptr(name) = record.data else { return nil }
                return Self.canonical(name)
            }
            return Array(names.prefix(Self.maxNamesPerTerm))
        case .nxdomain, .nodata:
            if countingVoid { try countVoidLookup() }
            return nil
        case .temporaryFailure:
            return nil
        }
    }

    /// Whether `name`'s addresses include the client's; a failed lookup skips the name (§5.5).
    func validates(_ name: String) async throws(Abort) -> Bool {
        guard let addresses = try await addresses(of: name, skippingFailures: true) else { return false }
        return addresses.contains(ip)
    }

    /// Whether `name` equals `target` or lies under it, ignoring case and final dots.
    static func isSubdomain(_ name: String, of target: String) -> Bool {
        let name = canonical(name)
        let target = canonical(target)
        return name == target || name.hasSuffix("." + target)
    }

    static func canonical(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }
}
