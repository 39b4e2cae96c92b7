public import ConduitCore
public import ConduitStore
public import Foundation
public import Logging

/// The identity rules of docs/API.md: accounts, sessions, TOTP, API tokens and
/// password reset, on top of the store. Pure of HTTP: callers pass values and
/// get values or an `IdentityError`.
public final class IdentityService: Sendable {
    let store: Store
    let settings: IdentitySettings
    let mailer: any Mailer
    let logger: Logger
    let hasher: PasswordHasher
    let work: BlockingWork
    /// A real hash of a random password: unknown emails are checked against
    /// it so they cost the same scrypt run as a wrong password.
    let decoyHash: String
    /// Removes what other modules keep for an account (domains, webhooks, …)
    /// inside the account-deletion transaction.
    let ownedDataRemovers: [@Sendable (WriteTransaction, String) throws -> Void]
    /// The sessions and API tokens authenticated lately, by token hash;
    /// emptied by every write to sessions, API tokens or accounts.
    let credentials: CredentialCache
    /// The wall clock every expiry, lifetime and throttle window is read
    /// from; tests pass one they move by hand instead of sleeping.
    let clock: @Sendable () -> Date

    /// `credentialCacheSize`: at most this many tokens are kept in the
    /// credential cache (0 turns it off).
    public init(
        store: Store,
        settings: IdentitySettings,
        mailer: any Mailer,
        logger: Logger,
        hasher: PasswordHasher = PasswordHasher(),
        ownedDataRemovers: [@Sendable (WriteTransaction, String) throws -> Void] = [],
        credentialCacheSize: Int = 4096,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.store = store
        self.settings = settings
        self.mailer = mailer
        self.logger = logger
        self.hasher = hasher
        self.work = BlockingWork.scrypt
        self.decoyHash = try hasher.hash(Base64URL.encode(SecureRandom.bytes(16)))
        self.ownedDataRemovers = ownedDataRemovers
        self.clock = clock
        // Accounts too: nothing read here depends on them today, but a change
        // to one (deletion, 2FA, password) must never leave a credential behind.
        self.credentials = CredentialCache(watch: store.watch([Session.self, APIToken.self, Account.self]), capacity: credentialCacheSize)
    }

    /// The record types this service keeps; the composition root adds them to the schema.
    public static let recordTypes: [any StoreRecord.Type] = [
        Account.self, Session.self, APIToken.self, LoginChallenge.self, PasswordReset.self, SignInFailures.self,
    ]

    // MARK: Shared helpers

    func now() -> Date {
        // Whole seconds: timestamps are shown to clients in RFC 3339 without fractions.
        Date(timeIntervalSince1970: clock().timeIntervalSince1970.rounded(.down))
    }

    func hashPassword(_ password: String) async throws -> String {
        let hasher = hasher
        return try await work.run { try hasher.hash(password) }
    }

    func verifyPassword(_ password: String, against stored: String) async -> Bool {
        let hasher = hasher
        return (try? await work.run { hasher.verify(password, against: stored) }) ?? false
    }

    /// Runs a write transaction, turning a full store into `storageFull`.
    func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        do {
            return try store.write(body)
        } catch where StoreError.isStorageFull(error) {
            logger.error("store full", metadata: ["error": "\(error)"])
            throw IdentityError.storageFull
        }
    }

    func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        try store.read(body)
    }

    func account(_ id: String) throws -> Account {
        guard let account = try read({ try $0.get(Account.self, id: id) }) else { throw IdentityError.unauthorized }
        return account
    }

    /// Credentials (API tokens, 2FA, the password, the account itself) change
    /// only with a session: a stolen API token, however narrow its IPs and
    /// lifetime, must not mint an unlimited token or lock the owner out.
    public func requireSession(_ principal: Principal) throws(IdentityError) {
        guard principal.isSession else { throw IdentityError.sessionRequired }
    }

    /// 8 to 128 Unicode code points, as openapi.json's `minLength` and
    /// `maxLength` count them (not grapheme clusters).
    static func validatePassword(_ password: String) throws(IdentityError) {
        guard (8...128).contains(password.unicodeScalars.count) else { throw IdentityError.invalidPassword }
    }
}
