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
        // SMTP AUTH user names are unique on the server (schema version 2):
        // AUTH finds the one policy of a user name with one lookup.
        RecordIndex("by_username", unique: true, keys: { $0.credentials.map(\.username) }),
    ]
}
