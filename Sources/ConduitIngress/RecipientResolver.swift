public import ConduitCore
public import ConduitStore

/// Finds the webhook an envelope recipient belongs to (docs/SMTP.md, "Recipients"): the exact
/// address, then `local+tag@domain` as `local@domain` with the tag passed
/// on, then the domain's catch-all `*@domain`. Only webhooks on a domain
/// their account verified, or on a public domain, receive mail.
///
/// On a public domain, catch-alls and `+` addresses are reserved (the API
/// refuses them, docs/API.md); one saved before that rule, or on a domain
/// made public since, is passed over here too, so `alice+bank@` still
/// reaches the owner of `alice@` and no account catches the whole domain.
public enum RecipientResolver {
    public enum Resolution: Equatable, Sendable {
        case found(webhook: Webhook, policy: SMTPSecurityPolicy?, tag: String?)
        /// No webhook takes this address (550 5.1.1).
        case unknown
        /// The webhook exists but is switched off (550 5.2.1).
        case inactive(Webhook)
    }

    /// - Parameters:
    ///   - localPart: as the client sent it (a quoted local part is unquoted).
    ///   - domain: as sent; normalized to A-labels here.
    public static func resolve(localPart: String, domain: String, in txn: ReadTransaction) throws -> Resolution {
        guard let domain = try? DomainName.normalize(domain) else { return .unknown }
        let local = unquote(localPart).lowercased()
        guard !local.isEmpty, local.utf8.count <= 64 else { return .unknown }

        var candidates: [(address: String, tag: String?)] = [("\(local)@\(domain)", nil)]
        var tag: String?
        if let plus = local.firstIndex(of: "+"), plus != local.startIndex {
            let base = local[..<plus]
            let value = local[local.index(after: plus)...]
            tag = value.isEmpty ? nil : String(value)
            candidates.append(("\(base)@\(domain)", tag))
        }
        candidates.append(("*@\(domain)", tag))
        if try txn.lookup(Domain.self, index: .byVerifiedName, key: domain)?.isPublic == true {
            candidates.removeAll { isReservedOnPublicDomain($0.address) }
        }

        for candidate in candidates {
            guard let webhook = try txn.lookup(Webhook.self, index: .byAddress, key: candidate.address) else { continue }
            guard try isServed(domain: domain, for: webhook, in: txn) else { return .unknown }
            guard webhook.active else { return .inactive(webhook) }
            let policy = try webhook.smtpSecurityPolicyID.flatMap { try txn.get(SMTPSecurityPolicy.self, id: $0) }
            return .found(webhook: webhook, policy: policy, tag: candidate.tag)
        }
        return .unknown
    }

    /// Whether `domain` is public or verified by the webhook's own account
    /// (a domain removed or lost since the webhook was made receives nothing).
    static func isServed(domain: String, for webhook: Webhook, in txn: ReadTransaction) throws -> Bool {
        guard let record = try txn.lookup(Domain.self, index: .byVerifiedName, key: domain) else { return false }
        return record.accountID == nil || record.accountID == webhook.accountID
    }

    /// `*@domain` or a local part with `+` (the API's rule for public
    /// domains, `public_domain_reserved`).
    static func isReservedOnPublicDomain(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        return local == "*" || local.contains("+")
    }

    /// `"a b"` → `a b`, with backslash escapes resolved.
    static func unquote(_ local: String) -> String {
        guard local.hasPrefix("\""), local.hasSuffix("\""), local.count >= 2 else { return local }
        var out = ""
        var escaped = false
        for c in local.dropFirst().dropLast() {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }
}
