public import ConduitCore

extension Domain: StoreRecord {
    public static let tableName = "domains"
    public static let indexes: [RecordIndex<Domain>] = [
        // Public domains have no account and are not in this index.
        RecordIndex("by_account", unique: false, keys: { $0.accountID.map { [$0] } ?? [] }),
        // Every claim of a name, verified or not, public or not.
        RecordIndex("by_name", unique: false, key: { $0.name }),
        // A name is verified (or public) at most once: the store enforces "first to verify wins".
        RecordIndex("by_verified_name", unique: true, keys: { $0.verified ? [$0.name] : [] }),
    ]
}
