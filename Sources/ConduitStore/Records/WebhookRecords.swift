public import ConduitCore

extension Webhook: StoreRecord {
    public static let tableName = "webhooks"
    public static let indexes: [RecordIndex<Webhook>] = [
        RecordIndex(.byAccount, unique: false, key: { $0.accountID }),
        // One webhook per address across all accounts: recipient resolution is unambiguous.
        RecordIndex(.byAddress, unique: true, key: { $0.address }),
        RecordIndex(.byPolicy, unique: false, keys: { $0.smtpSecurityPolicyID.map { [$0] } ?? [] }),
    ]
}

extension SMTPSecurityPolicy: StoreRecord {
    public static let tableName = "smtp_policies"
    public static let indexes: [RecordIndex<SMTPSecurityPolicy>] = [
        RecordIndex(.byAccount, unique: false, key: { $0.accountID }),
        // SMTP AUTH user names are unique on the server (schema version 2):
        // AUTH finds the one policy of a user name with one lookup.
        RecordIndex(.byUsername, unique: true, keys: { $0.credentials.map(\.username) }),
    ]
}

extension IndexName where Record == Webhook {
    public static let byAccount = IndexName("by_account")
    public static let byAddress = IndexName("by_address")
    public static let byPolicy = IndexName("by_policy")
}

extension IndexName where Record == SMTPSecurityPolicy {
    public static let byAccount = IndexName("by_account")
    public static let byUsername = IndexName("by_username")
}
