public import ConduitCore

extension Webhook: StoreRecord {
    public static let tableName = "webhooks"
    public static let indexes: [RecordIndex<Webhook>] = [
        RecordIndex("by_account", unique: false, key: { $0.accountID }),
        // One webhook per address across all accounts: recipient resolution is unambiguous.
        RecordIndex("by_address", unique: true, key: { $0.address }),
        RecordIndex("by_policy", unique: false, keys: { $0.smtpSecurityPolicyID.map { [$0] } ?? [] }),
    ]
}

extension SMTPSecurityPolicy: StoreRecord {
    public static let tableName = "smtp_policies"
    public static let indexes: [RecordIndex<SMTPSecurityPolicy>] = [
        RecordIndex("by_account", unique: false, key: { $0.accountID }),
    ]
}
