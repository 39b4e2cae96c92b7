public import ConduitCore

extension Domain: StoreRecord {
    public static let tableName = "domains"
    public static let indexes: [RecordIndex<Domain>] = [
        // Public domains have no account and are not in this index.
        RecordIndex(.byAccount, unique: false, keys: { $0.accountID.map { [$0] } ?? [] }),
        // Every claim of a name, verified or not, public or not.
        RecordIndex(.byName, unique: false, key: { $0.name }),
        // A name is verified (or public) at most once: the store enforces "first to verify wins".
        RecordIndex(.byVerifiedName, unique: true, keys: { $0.verified ? [$0.name] : [] }),
    ]
}

extension IndexName where Record == Domain {
    public static let byAccount = IndexName("by_account")
    public static let byName = IndexName("by_name")
    public static let byVerifiedName = IndexName("by_verified_name")
}
