public import ConduitCore
import Foundation

// The identity tables. Table and index names are part of the on-disk layout
// (docs/ARCHITECTURE.md); renaming one needs a migration.

extension Account: StoreRecord {
    public static let tableName = "accounts"
    public static let indexes: [RecordIndex<Account>] = [
        RecordIndex(.byEmail, unique: true, key: { $0.email }),
    ]
}

extension Session: StoreRecord {
    public static let tableName = "sessions"
    public static let indexes: [RecordIndex<Session>] = [
        RecordIndex(.byAccess, unique: true, key: { $0.accessTokenHash }),
        RecordIndex(.byAccount, unique: false, key: { $0.accountID }),
        RecordIndex(.byExpiry, unique: false, key: { ExpiryKey.of($0.refreshExpiresAt) }),
    ]
}

extension APIToken: StoreRecord {
    public static let tableName = "api_tokens"
    public static let indexes: [RecordIndex<APIToken>] = [
        RecordIndex(.byHash, unique: true, key: { $0.tokenHash }),
        RecordIndex(.byAccount, unique: false, key: { $0.accountID }),
        RecordIndex(.byExpiry, unique: false, keys: { $0.expiresAt.map { [ExpiryKey.of($0)] } ?? [] }),
    ]
}

extension LoginChallenge: StoreRecord {
    public static let tableName = "login_challenges"
    public static let indexes: [RecordIndex<LoginChallenge>] = [
        RecordIndex(.byHash, unique: true, key: { $0.tokenHash }),
        RecordIndex(.byAccount, unique: false, key: { $0.accountID }),
        RecordIndex(.byExpiry, unique: false, key: { ExpiryKey.of($0.expiresAt) }),
    ]
}

extension PasswordReset: StoreRecord {
    public static let tableName = "password_resets"
    public static let indexes: [RecordIndex<PasswordReset>] = [
        RecordIndex(.byHash, unique: true, key: { $0.tokenHash }),
        RecordIndex(.byAccount, unique: false, key: { $0.accountID }),
        RecordIndex(.byExpiry, unique: false, key: { ExpiryKey.of($0.expiresAt) }),
    ]
}

extension SignInFailures: StoreRecord {
    public static let tableName = "sign_in_failures"
    public static let indexes: [RecordIndex<SignInFailures>] = [
        RecordIndex(.byExpiry, unique: false, keys: { $0.failures.last.map { [ExpiryKey.of($0.addingTimeInterval(15 * 60))] } ?? [] }),
    ]
}

extension IndexName where Record == Account {
    public static let byEmail = IndexName("by_email")
}

extension IndexName where Record == Session {
    public static let byAccess = IndexName("by_access")
    public static let byAccount = IndexName("by_account")
    public static let byExpiry = IndexName("by_expiry")
}

extension IndexName where Record == APIToken {
    public static let byHash = IndexName("by_hash")
    public static let byAccount = IndexName("by_account")
    public static let byExpiry = IndexName("by_expiry")
}

extension IndexName where Record == LoginChallenge {
    public static let byHash = IndexName("by_hash")
    public static let byAccount = IndexName("by_account")
    public static let byExpiry = IndexName("by_expiry")
}

extension IndexName where Record == PasswordReset {
    public static let byHash = IndexName("by_hash")
    public static let byAccount = IndexName("by_account")
    public static let byExpiry = IndexName("by_expiry")
}

extension IndexName where Record == SignInFailures {
    public static let byExpiry = IndexName("by_expiry")
}
