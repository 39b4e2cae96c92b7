import ConduitCore
import ConduitStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// One node's local read cache of the shared control plane: Conduit's own
/// LMDB store (`ConduitStore`: the real environment, tables, unique indexes
/// and binary record format) holding the record types the mail path reads,
/// filled from a PostgreSQL snapshot and kept current by the change feed
/// (docs/SCALING.md, "The node cache").
final class NodeCache: Sendable {
    /// Where the last applied change's sequence number is kept, so a node
    /// restarting reads only the changes after it.
    static let metaDatabase = "cluster_meta"
    static let lastSeqKey = "last_seq"

    static let schema = Schema(
        version: 1,
        records: [Domain.self, SMTPSecurityPolicy.self, Webhook.self, APIToken.self],
        rawDatabases: [SpoolUsage.database, metaDatabase]
    )

    let store: Store
    /// The quota this node may still charge per account (`quota_leases`):
    /// granted bytes. A miss is a lease to take from PostgreSQL.
    let leases = Mutex<[String: Int]>([:])
    /// Store writes leave Swift's cooperative pool (a commit waits for fsync).
    let writes = BlockingWork(width: 1)

    init(path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        store = try Store(path: path, mapSizeBytes: 1 << 30, schema: Self.schema)
    }

    // MARK: Filling from a snapshot

    /// Copies every cached table from one REPEATABLE READ snapshot, and the
    /// change sequence number of that snapshot: changes after it are the
    /// feed's. Returns the number of records written.
    func fill(from client: PostgresClient) async throws -> Int {
        let snapshot = try await client.withConnection { connection in
            _ = try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: quiet)
            let seq = try await connection.query("SELECT seq FROM change_counter", logger: quiet)
                .collect().first?.decode(Int64.self) ?? 0
            var domains: [Domain] = []
            for try await row in try await connection.query(
                "SELECT id, account_id, name, verification_token, verified, is_public, created_at FROM domains", logger: quiet)
            {
                let (id, account, name, token, verified, isPublic, created) =
                    try row.decode((String, String?, String, String?, Bool, Bool, Date).self)
                domains.append(Domain(id: id, accountID: account, name: name, verificationToken: token,
                                      verified: verified, isPublic: isPublic, createdAt: created))
            }
            var policies: [SMTPSecurityPolicy] = []
            for try await row in try await connection.query(
                """
                SELECT id, account_id, name, allowed_source_ips, allowed_spf_domains, allowed_dkim_domains,
                       require_spf, require_dkim, require_smtp_auth, created_at FROM smtp_policies
                """, logger: quiet)
            {
                let (id, account, name, ips, spf, dkim, needSPF, needDKIM, needAuth, created) =
                    try row.decode((String, String, String, [String], [String], [String], Bool, Bool, Bool, Date).self)
                var policy = SMTPSecurityPolicy(id: id, accountID: account, name: name, createdAt: created)
                policy.allowedSourceIPs = ips
                policy.allowedSPFDomains = spf
                policy.allowedDKIMDomains = dkim
                policy.requireSPF = needSPF
                policy.requireDKIM = needDKIM
                policy.requireSMTPAuth = needAuth
                policies.append(policy)
            }
            var webhooks: [Webhook] = []
            for try await row in try await connection.query(
                """
                SELECT id, account_id, address, target_url, secret, rate_limit, active, smtp_security_policy_id, created_at
                FROM webhooks
                """, logger: quiet)
            {
                let (id, account, address, url, secret, rate, active, policy, created) =
                    try row.decode((String, String, String, String, String, Int, Bool, String?, Date).self)
                webhooks.append(Webhook(id: id, accountID: account, address: address, targetURL: url, secret: secret,
                                        customHeaders: [:], payloadTemplate: nil, rateLimit: rate, active: active,
                                        smtpSecurityPolicyID: policy, createdAt: created))
            }
            var tokens: [APIToken] = []
            for try await row in try await connection.query(
                "SELECT id, account_id, name, token_hash, allowed_ips, expires_at, created_at FROM api_tokens", logger: quiet)
            {
                tokens.append(try Self.apiToken(row))
            }
            _ = try await connection.query("COMMIT", logger: quiet)
            return (seq, domains, policies, webhooks, tokens)
        }
        let store = store
        try await writes.run {
            try store.write { txn in
                for record in snapshot.1 { try txn.save(record) }
                for record in snapshot.2 { try txn.save(record) }
                for record in snapshot.3 { try txn.save(record) }
                for record in snapshot.4 { try txn.save(record) }
                try Self.putLastSeq(snapshot.0, in: txn)
            }
        }
        return snapshot.1.count + snapshot.2.count + snapshot.3.count + snapshot.4.count
    }

    static func apiToken(_ row: PostgresRow) throws -> APIToken {
        let (id, account, name, hash, ips, expires, created) =
            try row.decode((String, String, String, String, [String], Date?, Date).self)
        return APIToken(id: id, accountID: account, name: name, tokenHash: hash, allowedIPs: ips,
                        expiresAt: expires, createdAt: created)
    }

    static func putLastSeq(_ seq: Int64, in txn: WriteTransaction) throws {
        try withUnsafeBytes(of: seq.littleEndian) { try txn.putRaw(database: metaDatabase, key: lastSeqKey, bytes: $0) }
    }

    func lastSeq() throws -> Int64 {
        try store.read { txn in
            try txn.withRaw(database: Self.metaDatabase, key: Self.lastSeqKey) { bytes -> Int64 in
                guard bytes.count == 8 else { return 0 }
                return Int64(littleEndian: bytes.loadUnaligned(as: Int64.self))
            } ?? 0
        }
    }

    /// This node's own spool charge of an account (the local `spool_usage`,
    /// as a node's spool writer keeps it today).
    func setLocalUsage(accountID: String, bytes: Int) throws {
        try store.write(durable: false) { txn in
            try withUnsafeBytes(of: UInt64(bytes).littleEndian) {
                try txn.putRaw(database: SpoolUsage.database, key: accountID, bytes: $0)
            }
        }
    }

    // MARK: The hot path

    /// What RCPT TO needs per recipient, from the cache alone: the webhook
    /// (exact address, `+tag`, catch-all, served domain: `RecipientResolver`'s
    /// reads, in the same order) and whether the account's lease on this node
    /// still covers a message of `charge` bytes on top of the node's own spool
    /// charge. One LMDB read transaction, no network.
    func admit(localPart: String, domain: String, charge: Int) throws -> HotPathAnswer {
        let resolution = try store.read { txn -> (Webhook, SMTPSecurityPolicy?, Int)? in
            guard let found = try CachedResolver.resolve(localPart: localPart, domain: domain, in: txn) else { return nil }
            return (found.0, found.1, try txn.spoolUsage(accountID: found.0.accountID))
        }
        guard let (webhook, policy, usage) = resolution else { return .unknown }
        let granted = leases.withLock { $0[webhook.accountID] }
        guard let granted else { return .needsLease(accountID: webhook.accountID) }
        return usage + charge <= granted ? .accept(webhookID: webhook.id, requiresAuth: policy?.requireSMTPAuth ?? false)
            : .needsLease(accountID: webhook.accountID)
    }
}

enum HotPathAnswer: Equatable {
    case accept(webhookID: String, requiresAuth: Bool)
    /// Resolved, but this node's lease does not cover the message: take more
    /// quota from PostgreSQL (or refuse with 452 4.2.2 when none is left).
    case needsLease(accountID: String)
    case unknown
}

let quiet = Logger(label: "cluster-hotpath", factory: { _ in SwiftLogNoOpLogHandler() })
