public import ConduitCore

// The spool tables. Table and index names are part of the on-disk layout
// (docs/ARCHITECTURE.md); renaming one needs a migration. Message bodies are
// not records: they live in the raw database `Spool.bodiesDatabase`.

extension SpooledMessage: StoreRecord {
    public static let tableName = "spool"
}

extension Delivery: StoreRecord {
    public static let tableName = "deliveries"
    public static let indexes: [RecordIndex<Delivery>] = [
        RecordIndex(.byMessage, unique: false, key: { $0.messageID }),
        RecordIndex(.byWebhook, unique: false, key: { $0.webhookID }),
        // Only pending deliveries wait for an attempt, so only they are keyed:
        // the worker's "what is due now" is one range scan from the start.
        RecordIndex(.due, unique: false, keys: { $0.state == .pending ? [ExpiryKey.of($0.nextAttemptAt)] : [] }),
        // The same, grouped by webhook (schema 5): a claim pass takes what
        // is due from the webhooks with free slots and steps over a busy
        // webhook's backlog with one seek (`DueByWebhook`).
        RecordIndex(.dueByWebhook, unique: false, keys: {
            $0.state == .pending ? [DueByWebhook.key(webhookID: $0.webhookID, due: $0.nextAttemptAt)] : []
        }),
    ]
}

extension DeliveryLog: StoreRecord {
    public static let tableName = "delivery_logs"
    public static let indexes: [RecordIndex<DeliveryLog>] = [
        // Entries under one webhook sort by log id, which is time-ordered:
        // `list(…, newestFirst: true)` is the API's newest-first listing.
        RecordIndex(.byWebhook, unique: false, key: { $0.webhookID }),
        // Keyed by the attempt time, not an expiry time: retention removes
        // entries below `ExpiryKey.of(now - log_retention_days)`.
        RecordIndex(.byExpiry, unique: false, key: { ExpiryKey.of($0.attemptedAt) }),
        RecordIndex(.byMessage, unique: false, key: { $0.messageID }),
    ]
}

extension IndexName where Record == Delivery {
    public static let byMessage = IndexName("by_message")
    public static let byWebhook = IndexName("by_webhook")
    public static let due = IndexName("due")
    public static let dueByWebhook = IndexName("due_by_webhook")
}

extension IndexName where Record == DeliveryLog {
    public static let byWebhook = IndexName("by_webhook")
    public static let byExpiry = IndexName("by_expiry")
    public static let byMessage = IndexName("by_message")
}
