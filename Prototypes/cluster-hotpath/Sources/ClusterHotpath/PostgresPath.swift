import ConduitCore
import Logging
import PostgresNIO

/// The same recipient resolution as `CachedResolver`, in one round trip:
/// every candidate address with its served domain and policy; the order and
/// the public-domain rule are applied to the rows as the resolver does.
struct ResolveRecipient: PostgresPreparedStatement {
    static let sql = """
        SELECT c.ord, w.id, w.account_id, w.active, d.id IS NOT NULL, d.account_id, d.is_public,
               coalesce(p.require_smtp_auth, false)
        FROM unnest($1::text[]) WITH ORDINALITY AS c(address, ord)
        JOIN webhooks w ON w.address = c.address
        LEFT JOIN domains d ON d.name = $2 AND (d.verified OR d.is_public)
        LEFT JOIN smtp_policies p ON p.id = w.smtp_security_policy_id
        ORDER BY c.ord
        """
    typealias Row = (Int64, String, String, Bool, Bool, String?, Bool?, Bool)

    var candidates: [String]
    var domain: String

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 2)
        bindings.append(candidates)
        bindings.append(domain)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The naive quota design: every message charges the shared counter, and
/// no row back means the account is full. Also the statement a node's lease
/// refill runs (with the lease's size as `bytes`).
struct ChargeQuota: PostgresPreparedStatement {
    static let sql = """
        UPDATE quota_usage SET charged_bytes = charged_bytes + $2
        WHERE account_id = $1 AND charged_bytes + $2 <= $3
        RETURNING charged_bytes
        """
    typealias Row = Int64

    var accountID: String
    var bytes: Int64
    var quota: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(accountID)
        bindings.append(bytes)
        bindings.append(quota)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// A lease refill as one statement: the cluster-wide charge and this node's
/// lease row move together (a CTE is one statement, so one round trip and
/// one transaction).
struct TakeLease: PostgresPreparedStatement {
    static let sql = """
        WITH charged AS (
            UPDATE quota_usage SET charged_bytes = charged_bytes + $3
            WHERE account_id = $1 AND charged_bytes + $3 <= $4
            RETURNING account_id
        )
        INSERT INTO quota_leases (account_id, node_id, granted_bytes)
        SELECT account_id, $2, $3 FROM charged
        ON CONFLICT (account_id, node_id) DO UPDATE SET granted_bytes = quota_leases.granted_bytes + excluded.granted_bytes
        RETURNING granted_bytes
        """
    typealias Row = Int64

    var accountID: String
    var nodeID: String
    var bytes: Int64
    var quota: Int64

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 4)
        bindings.append(accountID)
        bindings.append(nodeID)
        bindings.append(bytes)
        bindings.append(quota)
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

enum PostgresPath {
    /// RCPT TO through PostgreSQL: resolve, then charge the account (two
    /// round trips per message; no charge: only the first). `nil` for an
    /// unknown recipient or a full account.
    static func admit(localPart: String, domain rawDomain: String, charge: Int64?, quota: Int64,
                      client: PostgresClient) async throws -> String?
    {
        guard let domain = try? DomainName.normalize(rawDomain) else { return nil }
        let local = localPart.lowercased()
        var candidates = ["\(local)@\(domain)"]
        if let plus = local.firstIndex(of: "+"), plus != local.startIndex {
            candidates.append("\(local[..<plus])@\(domain)")
        }
        candidates.append("*@\(domain)")
        var found: (webhookID: String, accountID: String)?
        for try await row in try await client.execute(ResolveRecipient(candidates: candidates, domain: domain), logger: quiet) {
            let (ord, id, account, active, served, domainAccount, isPublic, _) = row
            guard found == nil else { continue }
            let address = candidates[Int(ord) - 1]
            if isPublic == true, CachedResolver.isReservedOnPublicDomain(address) { continue }
            guard served, domainAccount == nil || domainAccount == account, active else { break }
            found = (id, account)
        }
        guard let found else { return nil }
        guard let charge else { return found.webhookID }
        var charged = false
        for try await _ in try await client.execute(ChargeQuota(accountID: found.accountID, bytes: charge, quota: quota), logger: quiet) {
            charged = true
        }
        return charged ? found.webhookID : nil
    }
}
