import Logging
import ConduitCore
import ConduitStore
import Foundation

extension IdentityService {
    /// Starts a reset for `email`. Returns at once, whether or not the account
    /// exists; the token is stored and the mail sent in the background.
    public func requestPasswordReset(email rawEmail: String) {
        Task { await self.sendPasswordReset(email: rawEmail) }
    }

    func sendPasswordReset(email rawEmail: String) async {
        guard let email = EmailAddress.normalize(rawEmail) else { return }
        let token = SecretToken.generate(prefix: TokenPrefix.passwordReset)
        let when = now()
        let account: Account?
        do {
            account = try write { txn -> Account? in
                guard let account = try txn.reader.lookup(Account.self, index: .byEmail, key: email) else { return nil }
                // At most `maxPasswordResetMails` per email per window: the
                // endpoint is public, and must not become a way to flood an inbox.
                try countAttempt(
                    ThrottleKey.passwordReset(email), in: txn, at: when,
                    limit: settings.maxPasswordResetMails, window: settings.passwordResetWindow, refusal: IdentityError.tooManyAttempts
                )
                // Every link mailed works until one is used (requests may race and mails
                // arrive out of order), but at most five are outstanding: the oldest go first.
                let outstanding = try txn.reader.list(PasswordReset.self, index: .byAccount, key: account.id)
                for stale in outstanding.prefix(max(0, outstanding.count - 4)) {
                    try txn.delete(PasswordReset.self, id: stale.id)
                }
                try txn.insert(PasswordReset(
                    id: Identifier.generate().rawValue, accountID: account.id,
                    tokenHash: SecretToken.hash(token), expiresAt: when.addingTimeInterval(settings.resetTokenLifetime)
                ))
                return account
            }
        } catch let IdentityError.tooManyAttempts(retryAfter) {
            logger.notice("password reset mail limit reached; no mail sent", metadata: ["retry_after": "\(retryAfter)"])
            return
        } catch {
            logger.error("password reset could not be stored", metadata: ["error": "\(error)"])
            return
        }
        guard let account else {
            logger.info("password reset requested for an unknown email")
            return
        }
        let link = "\(settings.publicURL)/reset-password?token=\(token)"
        let mail = OutgoingMail(
            from: settings.mailFrom,
            to: account.email,
            subject: "Reset your Conduit password",
            body: """
                Someone (hopefully you) asked to reset the password of the Conduit account \(account.email).

                To choose a new password, open this link within one hour:

                \(link)

                Or send the token \(token) to PUT /api/v1/accounts/me/password-reset.

                If you did not ask for this, ignore this mail; your password stays as it is.
                """
        )
        do {
            try await mailer.send(mail)
            logger.info("password reset mail sent", metadata: ["account": "\(account.id)"])
        } catch {
            logger.error("password reset mail failed", metadata: ["account": "\(account.id)", "error": "\(error)"])
        }
    }

    /// Sets a new password with a reset token, and revokes every session.
    public func confirmPasswordReset(token: String, newPassword: String) async throws {
        guard SecretToken.isWellFormed(token, prefix: TokenPrefix.passwordReset) else { throw IdentityError.invalidToken }
        let hash = SecretToken.hash(token)
        guard let reset = try read({ try $0.lookup(PasswordReset.self, index: .byHash, key: hash) }), reset.expiresAt > now() else {
            throw IdentityError.invalidToken
        }
        // A rejected password leaves the token usable.
        try Self.validatePassword(newPassword)
        let passwordHash = try await hashPassword(newPassword)
        let when = now()
        try write { txn in
            // Re-check inside the transaction: the token is single-use even under races.
            guard let current = try txn.reader.lookup(PasswordReset.self, index: .byHash, key: hash), current.expiresAt > when,
                  var account = try txn.reader.get(Account.self, id: current.accountID)
            else { throw IdentityError.invalidToken }
            account.passwordHash = passwordHash
            account.updatedAt = when
            try txn.update(account)
            try deleteAll(PasswordReset.self, by: .byAccount, of: account.id, in: txn)
            try revokeSessions(of: account.id, in: txn)
            try deleteAll(LoginChallenge.self, by: .byAccount, of: account.id, in: txn)
            try clearAttempts(ThrottleKey.password(account.email), in: txn)
        }
        logger.info("password reset completed", metadata: ["account": "\(reset.accountID)"])
    }
}
