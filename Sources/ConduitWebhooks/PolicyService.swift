public import ConduitCore
public import ConduitStore
import Foundation
public import Logging

/// SMTP security policies: create, read, partial update, delete (detaching
/// them from webhooks). SMTP AUTH passwords are stored only as scrypt hashes;
/// their user names are unique on the server (`by_username`), so AUTH knows
/// the one policy a user name belongs to and no account can shadow another's.
public final class PolicyService: Sendable {
    let store: Store
    let logger: Logger
    let hasher: PasswordHasher
    let work = BlockingWork.scrypt
    public let maxPoliciesPerAccount = 100

    public init(store: Store, logger: Logger, hasher: PasswordHasher = PasswordHasher()) {
        self.store = store
        self.logger = logger
        self.hasher = hasher
    }

    public func list(accountID: String) throws -> [SMTPSecurityPolicy] {
        try store.read { try $0.list(SMTPSecurityPolicy.self, index: .byAccount, key: accountID, newestFirst: true) }
    }

    public func get(accountID: String, id: String) throws -> SMTPSecurityPolicy {
        guard Identifier(id) != nil, let policy = try store.read({ try $0.get(SMTPSecurityPolicy.self, id: id) }),
              policy.accountID == accountID
        else { throw ResourceError.notFound }
        return policy
    }

    public func create(accountID: String, input: PolicyInput) async throws -> SMTPSecurityPolicy {
        guard let name = input.name else { throw ResourceError.invalid(code: "invalid_request", message: "Missing field 'name'") }
        var policy = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: accountID, name: try FieldRules.name(name), createdAt: Self.now())
        try await apply(input, to: &policy)
        let limit = maxPoliciesPerAccount
        let created = policy
        try write { txn in
            let existing = try txn.reader.list(SMTPSecurityPolicy.self, index: .byAccount, key: accountID, limit: limit)
            guard existing.count < limit else { throw ResourceError.invalid(code: "too_many_policies", message: "An account may have at most \(limit) policies") }
            try Self.checkUsernames(created.credentials.map(\.username), for: created.id, in: txn.reader)
            try txn.insert(created)
        }
        logger.info("SMTP policy created", metadata: ["account": "\(accountID)", "policy": "\(policy.id)"])
        return policy
    }

    public func update(accountID: String, id: String, input: PolicyInput) async throws -> SMTPSecurityPolicy {
        var policy = try get(accountID: accountID, id: id)
        if let name = input.name { policy.name = try FieldRules.name(name) }
        try await apply(input, to: &policy)
        policy.updatedAt = Self.now()
        let updated = policy
        try write { txn in
            guard try txn.reader.get(SMTPSecurityPolicy.self, id: id) != nil else { throw ResourceError.notFound }
            try Self.checkUsernames(updated.credentials.map(\.username), for: id, in: txn.reader)
            try txn.update(updated)
        }
        return updated
    }

    /// Deletes the policy and detaches it from every webhook that used it.
    public func delete(accountID: String, id: String) throws {
        _ = try get(accountID: accountID, id: id)
        let now = Self.now()
        try write { txn in
            for var webhook in try txn.reader.list(Webhook.self, index: .byPolicy, key: id) {
                webhook.smtpSecurityPolicyID = nil
                webhook.updatedAt = now
                try txn.update(webhook)
            }
            try txn.delete(SMTPSecurityPolicy.self, id: id)
        }
        logger.info("SMTP policy deleted", metadata: ["account": "\(accountID)", "policy": "\(id)"])
    }

    /// Removes an account's policies inside its deletion transaction.
    public static func removePolicies(of accountID: String, in txn: WriteTransaction) throws {
        for policy in try txn.reader.list(SMTPSecurityPolicy.self, index: .byAccount, key: accountID) {
            try txn.delete(SMTPSecurityPolicy.self, id: policy.id)
        }
    }

    private func apply(_ input: PolicyInput, to policy: inout SMTPSecurityPolicy) async throws {
        if let text = input.allowedSourceIPs { policy.allowedSourceIPs = try FieldRules.sourceIPs(text) }
        if let text = input.allowedSPFDomains { policy.allowedSPFDomains = try FieldRules.domains(text, field: "allowed_spf_domains") }
        if let text = input.allowedDKIMDomains { policy.allowedDKIMDomains = try FieldRules.domains(text, field: "allowed_dkim_domains") }
        if let value = input.requireSPF { policy.requireSPF = value }
        if let value = input.requireDKIM { policy.requireDKIM = value }
        if let value = input.requireSMTPAuth { policy.requireSMTPAuth = value }
        if let raw = input.dmarcEnforcement { policy.dmarcEnforcement = try FieldRules.dmarcEnforcement(raw) }
        if let text = input.smtpCredentials {
            let pairs = try FieldRules.credentials(text)
            // Refuse a taken name before spending up to 20 scrypt hashes on
            // the request; the write transaction checks again.
            let usernames = pairs.map(\.username), policyID = policy.id
            try store.read { try Self.checkUsernames(usernames, for: policyID, in: $0) }
            var credentials: [SMTPCredential] = []
            for pair in pairs {
                let hasher = hasher
                let hash = try await work.run { try hasher.hash(pair.password) }
                credentials.append(SMTPCredential(username: pair.username, passwordHash: hash))
            }
            policy.credentials = credentials
        }
    }

    /// Each user name must be free or already `policyID`'s own.
    static func checkUsernames(_ usernames: [String], for policyID: String, in txn: ReadTransaction) throws {
        for username in usernames {
            if let holder = try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: username), holder.id != policyID {
                throw ResourceError.usernameTaken(username)
            }
        }
    }

    static func now() -> Date { Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)) }

    func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        do {
            return try store.write(body)
        } catch where StoreError.isStorageFull(error) {
            throw ResourceError.storageFull
        }
    }
}
