import ConduitCore
import ConduitStore

/// The read sequence of `ConduitIngress.RecipientResolver` (exact → `+tag` →
/// catch-all; public domains pass over catch-alls and `+` addresses; a
/// webhook receives only on a domain its account verified or a public one)
/// over the same store API, tables and indexes. `ConduitIngress` is not a
/// library product (it would bring the SMTP, policy and delivery targets
/// into this package's build), so the dozen lines are repeated here.
enum CachedResolver {
    static func resolve(localPart: String, domain rawDomain: String, in txn: ReadTransaction) throws
        -> (Webhook, SMTPSecurityPolicy?, String?)?
    {
        guard let domain = try? DomainName.normalize(rawDomain) else { return nil }
        let local = localPart.lowercased()
        guard !local.isEmpty, local.utf8.count <= 64 else { return nil }
        var candidates: [(address: String, tag: String?)] = [("\(local)@\(domain)", nil)]
        var tag: String?
        if let plus = local.firstIndex(of: "+"), plus != local.startIndex {
            let value = local[local.index(after: plus)...]
            tag = value.isEmpty ? nil : String(value)
            candidates.append(("\(local[..<plus])@\(domain)", tag))
        }
        candidates.append(("*@\(domain)", tag))
        let served = try txn.lookup(Domain.self, index: .byVerifiedName, key: domain)
        if served?.isPublic == true {
            candidates.removeAll { isReservedOnPublicDomain($0.address) }
        }
        for candidate in candidates {
            guard let webhook = try txn.lookup(Webhook.self, index: .byAddress, key: candidate.address) else { continue }
            // RecipientResolver.isServed reads the domain again; so does this.
            guard let record = try txn.lookup(Domain.self, index: .byVerifiedName, key: domain),
                  record.accountID == nil || record.accountID == webhook.accountID else { return nil }
            guard webhook.active else { return nil }
            let policy = try webhook.smtpSecurityPolicyID.flatMap { try txn.get(SMTPSecurityPolicy.self, id: $0) }
            return (webhook, policy, candidate.tag)
        }
        return nil
    }

    static func isReservedOnPublicDomain(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        return local == "*" || local.contains("+")
    }
}
