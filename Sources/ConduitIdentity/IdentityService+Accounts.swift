import Logging
public import ConduitCore
import ConduitStore
import Foundation

extension IdentityService {
    /// Creates an account (timezone UTC).
    public func signUp(email rawEmail: String, password: String) async throws -> Account {
        guard let email = EmailAddress.normalize(rawEmail) else { throw IdentityError.invalidEmail }
        try Self.validatePassword(password)
        if try read({ try $0.lookup(Account.self, index: .byEmail, key: email) }) != nil {
            throw IdentityError.emailTaken
        }
        let hash = try await hashPassword(password)
        let account = Account(id: Identifier.generate().rawValue, email: email, passwordHash: hash, createdAt: now())
        do {
            try write { try $0.insert(account) }
        } catch StoreError.uniqueConstraint {
            // Lost a race with a concurrent sign-up for the same email.
            throw IdentityError.emailTaken
        }
        logger.info("account created", metadata: ["account": "\(account.id)"])
        return account
    }

    /// The account of the caller.
    public func currentAccount(_ principal: Principal) throws -> Account {
        guard let account = try read({ try $0.get(Account.self, id: principal.accountID) }) else { throw IdentityError.unauthorized }
        return account
    }

    public func updateTimezone(_ principal: Principal, timezone: String) throws {
        guard TimeZoneName.isValid(timezone) else { throw IdentityError.invalidTimezone }
        let when = now()
        try write { txn in
            guard var account = try txn.reader.get(Account.self, id: principal.accountID) else { throw IdentityError.unauthorized }
            account.timezone = timezone
            account.updatedAt = when
            try txn.update(account)
        }
    }

    /// Changes the password after checking the current one, and signs out
    /// every other session. Needs a session; a wrong current password counts
    /// in the email's sign-in throttle (a stolen session must not become an
    /// unthrottled password oracle).
    public func changePassword(_ principal: Principal, current: String, new: String) async throws {
        try requireSession(principal)
        let account = try currentAccount(principal)
        // Before the attempt is counted: a too-short new password is no guess.
        try Self.validatePassword(new)
        try reservePasswordAttempt(account.email)
        guard await verifyPassword(current, against: account.passwordHash) else { throw IdentityError.invalidCredentials }
        let hash = try await hashPassword(new)
        let keep: String? = if case let .session(id) = principal.credential { id } else { nil }
        let when = now()
        try write { txn in
            guard var fresh = try txn.reader.get(Account.self, id: account.id) else { throw IdentityError.unauthorized }
            fresh.passwordHash = hash
            fresh.updatedAt = when
            try txn.update(fresh)
            try clearAttempts(ThrottleKey.password(account.email), in: txn)
            try revokeSessions(of: account.id, in: txn, except: keep)
            try deleteAll(PasswordReset.self, by: .byAccount, of: account.id, in: txn)
        }
        logger.info("password changed", metadata: ["account": "\(account.id)"])
    }

    /// Deletes the account and everything it owns, in one transaction. Needs
    /// a session; a wrong password counts in the email's sign-in throttle.
    public func deleteAccount(_ principal: Principal, password: String, confirm: Bool) async throws {
        try requireSession(principal)
        guard confirm else { throw IdentityError.confirmationRequired }
        let account = try currentAccount(principal)
        try reservePasswordAttempt(account.email)
        guard await verifyPassword(password, against: account.passwordHash) else { throw IdentityError.invalidCredentials }
        try write { txn in
            for remove in ownedDataRemovers { try remove(txn, account.id) }
            try deleteAll(Session.self, by: .byAccount, of: account.id, in: txn)
            try deleteAll(APIToken.self, by: .byAccount, of: account.id, in: txn)
            try deleteAll(LoginChallenge.self, by: .byAccount, of: account.id, in: txn)
            try deleteAll(PasswordReset.self, by: .byAccount, of: account.id, in: txn)
            try clearAttempts(ThrottleKey.password(account.email), in: txn)
            try clearAttempts(ThrottleKey.secondFactor(account.id), in: txn)
            try clearAttempts(ThrottleKey.passwordReset(account.email), in: txn)
            try txn.delete(Account.self, id: account.id)
        }
        logger.info("account deleted", metadata: ["account": "\(account.id)"])
    }

    // MARK: Helpers shared by the other extensions

    func revokeSessions(of accountID: String, in txn: WriteTransaction, except keep: String? = nil) throws {
        for session in try txn.reader.list(Session.self, index: .byAccount, key: accountID) where session.id != keep {
            try txn.delete(Session.self, id: session.id)
        }
    }

    func deleteAll<R: StoreRecord>(_ type: R.Type, by index: IndexName<R>, of accountID: String, in txn: WriteTransaction) throws {
        for record in try txn.reader.list(R.self, index: index, key: accountID) {
            try txn.delete(R.self, id: record.id)
        }
    }
}
