import ConduitCore
import ConduitIdentity
public import ConduitStore
import ConduitWebhooks
import Logging

/// The store layout this build writes. Record types join as their features
/// land; each change to an existing type's layout bumps `version` and adds a
/// migration (docs/ARCHITECTURE.md, "Storage layout").
///
/// Public so the operator commands (`conduit spool`) open the store with the
/// same layout as `serve`.
public enum AppSchema {
    // The spool tables and `spool_bodies` were added while version 1 was
    // still unreleased, so no store with an older version 1 exists and no
    // migration is needed (LMDB creates the new databases on open anyway).
    //
    // Version 2 added the unique index `smtp_policies.by_username` (SMTP
    // AUTH user names are unique on the server); its migration builds it,
    // and duplicates stay with the oldest policy.
    //
    // Version 3 added `spool_usage` (each account's spool charge, for
    // `[storage] account_quota_mb`); its migration computes the charges of
    // the mail already spooled.
    public static let current = Schema(
        version: 3,
        records: IdentityService.recordTypes + [Domain.self, SMTPSecurityPolicy.self, Webhook.self] + Spool.recordTypes,
        rawDatabases: Spool.rawDatabases,
        migrations: [
            2: { txn in
                var logger = Logger(label: "conduit")
                logger[metadataKey: "service"] = "store"
                try PolicyUsernameMigration.run(in: txn, logger: logger)
            },
            3: { txn in try txn.rebuildSpoolUsage() },
        ]
    )
}
