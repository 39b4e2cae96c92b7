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
    //
    // Version 4 stores every record in the binary format 2 instead of JSON
    // (format 1); its migration rewrites each table in place, keys and
    // indexes unchanged. Migrations 2 and 3 read records, so on an older
    // store they convert first (the conversion skips values already binary).
    //
    // Version 5 added the index `deliveries.due_by_webhook` (the pending
    // deliveries grouped by webhook, for the claim pass: docs/DELIVERY.md,
    // "The engine"); its migration builds it over the deliveries spooled.
    //
    // Version 6 moved `webhooks` to layout 2 (payload format, payload size
    // limit, previous secret) and `deliveries` to layout 2 (`redelivery_of`);
    // `smtp_policies` (`dmarc_enforcement`) and `spool` (DMARC and ARC
    // verdicts) too, while 6 was still unreleased.
    // Layout-1 values are read as they are, so its migration rewrites
    // nothing; the bump keeps an older build, which would refuse the new
    // layouts record by record, from opening the store at all. It also
    // added the raw database `spool_kept` (delivered messages kept for
    // redelivery, `SpoolKeep`), which opening the store creates empty: an
    // older build removed delivered messages at once, so none needs an entry.
    public static let current = Schema(
        version: 6,
        records: recordTypes,
        rawDatabases: Spool.rawDatabases,
        migrations: [
            2: { txn in
                try txn.convertLegacyRecords(recordTypes)
                var logger = Logger(label: "conduit")
                logger[metadataKey: "service"] = "store"
                try PolicyUsernameMigration.run(in: txn, logger: logger)
            },
            3: { txn in
                try txn.convertLegacyRecords(recordTypes)
                try txn.rebuildSpoolUsage()
            },
            4: { txn in try txn.convertLegacyRecords(recordTypes) },
            5: { txn in try txn.buildIndex(Delivery.self, named: .dueByWebhook) },
            6: { _ in },
        ]
    )

    static let recordTypes: [any StoreRecord.Type] =
        IdentityService.recordTypes + [Domain.self, SMTPSecurityPolicy.self, Webhook.self] + Spool.recordTypes
}
