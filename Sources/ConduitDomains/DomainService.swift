public import ConduitCore
public import ConduitDNS
public import ConduitStore
import Foundation
public import Logging

/// Domain claims and their DNS TXT proof (docs/API.md, "Domains").
public final class DomainService: Sendable {
    let store: Store
    let resolver: any DNSResolving
    let logger: Logger
    /// Most domains one account may claim.
    public let maxDomainsPerAccount = 100

    public init(store: Store, resolver: any DNSResolving, logger: Logger) {
        self.store = store
        self.resolver = resolver
        self.logger = logger
    }

    /// The TXT owner name that proves `name`.
    public static func verificationName(for name: String) -> String { "_conduit.\(name)" }

    /// The TXT value that proves a claim.
    public static func verificationValue(token: String) -> String { "conduit-verification=\(token)" }

    // MARK: Reading

    /// The account's domains newest first, then the public domains by name.
    public func list(accountID: String) throws -> [Domain] {
        try store.read { txn in
            let own = try txn.list(Domain.self, index: .byAccount, key: accountID, newestFirst: true)
            let everything = try txn.scan(Domain.self, newestFirst: false)
            return own + everything.filter(\.isPublic).sorted { $0.name < $1.name }
        }
    }

    /// One of the account's domains, or a public one.
    public func get(accountID: String, id: String) throws -> Domain {
        guard Identifier(id) != nil, let domain = try store.read({ try $0.get(Domain.self, id: id) }),
              domain.isPublic || domain.accountID == accountID
        else { throw DomainError.notFound }
        return domain
    }

    /// The verified or public domain called `name`, if any (recipient resolution).
    public func verifiedDomain(named name: String) throws -> Domain? {
        try store.read { try $0.lookup(Domain.self, index: .byVerifiedName, key: name) }
    }

    // MARK: Claims

    /// Claims `rawName` for the account, unverified.
    public func claim(accountID: String, name rawName: String) throws -> Domain {
        let name: String
        do {
            name = try DomainName.normalize(rawName)
        } catch {
            throw DomainError.invalidName(error.reason)
        }
        let now = Self.now()
        let domain = Domain(
            id: Identifier.generate().rawValue, accountID: accountID, name: name,
            verificationToken: Base64URL.encode(SecureRandom.bytes(32)), verified: false, isPublic: false, createdAt: now
        )
        let limit = maxDomainsPerAccount
        try write { txn in
            let claims = try txn.reader.list(Domain.self, index: .byName, key: name)
            // Verified by anyone (public domains are verified), or already claimed by this account.
            if claims.contains(where: { $0.verified || $0.accountID == accountID }) { throw DomainError.alreadyClaimed }
            let owned = try txn.reader.list(Domain.self, index: .byAccount, key: accountID, limit: limit)
            guard owned.count < limit else { throw DomainError.tooManyDomains(limit: limit) }
            try txn.insert(domain)
        }
        logger.info("domain claimed", metadata: ["account": "\(accountID)", "domain": "\(name)"])
        return domain
    }

    /// Deletes one of the account's own domains.
    public func delete(accountID: String, id: String) throws {
        let domain = try get(accountID: accountID, id: id)
        guard !domain.isPublic else { throw DomainError.publicDomain }
        try write { txn in _ = try txn.delete(Domain.self, id: domain.id) }
        logger.info("domain deleted", metadata: ["account": "\(accountID)", "domain": "\(domain.name)"])
    }

    /// Looks up `_conduit.<name>` TXT and marks the claim verified when one
    /// record equals `conduit-verification=<token>`. The first account to
    /// verify a name wins; the other claims of it are removed.
    public func verify(accountID: String, id: String) async throws -> Domain {
        let domain = try get(accountID: accountID, id: id)
        if domain.verified { return domain }
        guard let token = domain.verificationToken else { throw DomainError.recordNotFound }
        let owner = Self.verificationName(for: domain.name)
        let expected = Self.verificationValue(token: token)
        let result = await resolver.lookup(owner, type: .txt)
        let outcome: String
        defer { logger.debug("domain verification", metadata: ["domain": "\(domain.name)", "outcome": "\(outcome)"]) }
        switch result {
        case .nxdomain, .nodata:
            outcome = "no TXT record"
            throw DomainError.recordNotFound
        case let .temporaryFailure(reason):
            outcome = "temporary failure: \(reason)"
            throw DomainError.temporaryFailure(reason)
        case let .records(records):
            guard records.contains(where: { $0.data.txtText == expected }) else {
                outcome = "TXT records do not match"
                throw DomainError.recordMismatch
            }
            outcome = "verified"
        }
        let now = Self.now()
        let verified: Domain = try write { txn in
            guard var current = try txn.reader.get(Domain.self, id: domain.id) else { throw DomainError.notFound }
            if current.verified { return current }
            let claims = try txn.reader.list(Domain.self, index: .byName, key: current.name)
            if claims.contains(where: { $0.verified && $0.id != current.id }) { throw DomainError.alreadyClaimed }
            for other in claims where other.id != current.id {
                try txn.delete(Domain.self, id: other.id)
            }
            current.verified = true
            current.updatedAt = now
            try txn.update(current)
            return current
        }
        logger.info("domain verified", metadata: ["account": "\(accountID)", "domain": "\(domain.name)"])
        return verified
    }

    // MARK: Public domains and accounts

    /// Makes the stored public domains equal `names` (normalized): adds the
    /// new ones, removes those no longer configured. An unverified claim of a
    /// newly public name is removed; a verified one keeps it and the public
    /// entry is skipped with a warning.
    public func syncPublicDomains(_ names: [String]) throws {
        let now = Self.now()
        try write { txn in
            let stored = try txn.reader.scan(Domain.self, newestFirst: false).filter(\.isPublic)
            for domain in stored where !names.contains(domain.name) {
                try txn.delete(Domain.self, id: domain.id)
            }
            for name in names where !stored.contains(where: { $0.name == name }) {
                let claims = try txn.reader.list(Domain.self, index: .byName, key: name)
                if let owner = claims.first(where: \.verified) {
                    logger.warning("public domain is verified by an account; not made public", metadata: ["domain": "\(name)", "account": "\(owner.accountID ?? "")"])
                    continue
                }
                for claim in claims { try txn.delete(Domain.self, id: claim.id) }
                try txn.insert(Domain(
                    id: Identifier.generate().rawValue, accountID: nil, name: name,
                    verificationToken: nil, verified: true, isPublic: true, createdAt: now
                ))
            }
        }
    }

    /// Removes an account's domains inside its deletion transaction.
    public static func removeDomains(of accountID: String, in txn: WriteTransaction) throws {
        for domain in try txn.reader.list(Domain.self, index: .byAccount, key: accountID) {
            try txn.delete(Domain.self, id: domain.id)
        }
    }

    // MARK: Helpers

    static func now() -> Date { Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)) }

    func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        do {
            return try store.write(body)
        } catch where StoreError.isStorageFull(error) {
            throw DomainError.storageFull
        }
    }
}
