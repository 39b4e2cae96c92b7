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
    public static let current = Schema(
        version: 2,
        records: IdentityService.recordTypes + [Domain.self, SMTPSecurityPolicy.self, Webhook.self] + Spool.recordTypes,
        rawDatabases: Spool.rawDatabases,
        migrations: [
            // 2: `smtp_policies.by_username` (unique SMTP AUTH user names);
            // duplicates stay with the oldest policy.
            2: { txn in
                var logger = Logger(label: "conduit")
                logger[metadataKey: "service"] = "store"
                try PolicyUsernameMigration.run(in: txn, logger: logger)
            },
        ]
    )
}
