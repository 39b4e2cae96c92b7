import Logging
import ConduitCore
import ConduitStore
import Foundation

extension IdentityService {
    /// Checks email and password, with per-email throttling. The attempt is
    /// counted before the password is checked and forgiven only when it was
    /// right, so concurrent guesses cannot outrun the limit.
    public func signIn(email rawEmail: String, password: String) async throws -> SignInResult {
        let email = EmailAddress.normalize(rawEmail) ?? rawEmail.lowercased()
        let throttleID = ThrottleKey.password(email)
        try reservePasswordAttempt(email)
        let account = try read { try $0.lookup(Account.self, index: .byEmail, key: email) }
        let passwordOK = await verifyPassword(password, against: account?.passwordHash ?? decoyHash)
        guard let account, passwordOK else {
            // The reserved attempt stays: it is this failure.
            logger.notice("sign-in failed", metadata: ["known_email": "\(account != nil)"])
            throw IdentityError.invalidCredentials
        }
        let when = now()
        return try write { txn in
            try clearAttempts(throttleID, in: txn)
            if account.totp != nil {
                let token = SecretToken.generate(prefix: TokenPrefix.challenge)
                let challenge = LoginChallenge(
                    id: Identifier.generate().rawValue, accountID: account.id,
                    tokenHash: SecretToken.hash(token), expiresAt: when.addingTimeInterval(settings.challengeLifetime)
                )
                try txn.insert(challenge)
                return .totpRequired(challenge: token, expiresIn: Int(settings.challengeLifetime))
            }
            return .session(try createSession(for: account.id, in: txn, at: when))
        }
    }

    /// Second step of a sign-in with TOTP: a TOTP code or an unused backup code.
    public func completeSignIn(challenge token: String, code: String) throws -> SessionTokens {
        guard SecretToken.isWellFormed(token, prefix: TokenPrefix.challenge) else { throw IdentityError.invalidToken }
        let when = now()
        let outcome: Result<SessionTokens, IdentityError> = try write { txn in
            guard let challenge = try txn.reader.lookup(LoginChallenge.self, index: .byHash, key: SecretToken.hash(token)) else {
                return .failure(.invalidToken)
            }
            guard challenge.expiresAt > when, var account = try txn.reader.get(Account.self, id: challenge.accountID) else {
                try txn.delete(LoginChallenge.self, id: challenge.id)
                return .failure(.invalidToken)
            }
            // Per account, over every challenge: a fresh challenge per five
            // guesses must not make the guessing unlimited.
            if let refusal = try secondFactorRefusal(code, of: &account, in: txn, at: when) {
                guard refusal == .invalidTOTP else { return .failure(refusal) }
                var failed = challenge
                failed.failedAttempts += 1
                if failed.failedAttempts >= 5 {
                    try txn.delete(LoginChallenge.self, id: challenge.id)
                } else {
                    try txn.update(failed)
                }
                // Committed: the attempt counts even though the call fails.
                return .failure(.invalidTOTP)
            }
            try txn.update(account)
            try txn.delete(LoginChallenge.self, id: challenge.id)
            return .success(try createSession(for: account.id, in: txn, at: when))
        }
        return try outcome.get()
    }

    /// Rotates a session's tokens. A refresh token that is not the session's
    /// current one (a rotated one, replayed) revokes the session.
    public func refresh(refreshToken token: String) throws -> SessionTokens {
        guard let sessionID = Self.sessionID(fromRefreshToken: token) else { throw IdentityError.invalidToken }
        let when = now()
        let outcome: Result<SessionTokens, IdentityError> = try write { txn in
            guard let session = try txn.reader.get(Session.self, id: sessionID) else { return .failure(.invalidToken) }
            guard session.refreshExpiresAt > when else {
                try txn.delete(Session.self, id: session.id)
                return .failure(.invalidToken)
            }
            guard ConstantTime.equals(Array(SecretToken.hash(token).utf8), Array(session.refreshTokenHash.utf8)) else {
                try txn.delete(Session.self, id: session.id)
                logger.warning("rotated refresh token reused; session revoked", metadata: ["account": "\(session.accountID)", "session": "\(session.id)"])
                return .failure(.invalidToken)
            }
            var rotated = session
            let tokens = Self.issueTokens(sessionID: session.id)
            rotated.accessTokenHash = SecretToken.hash(tokens.accessToken)
            rotated.accessExpiresAt = when.addingTimeInterval(settings.accessTokenLifetime)
            rotated.refreshTokenHash = SecretToken.hash(tokens.refreshToken)
            rotated.refreshExpiresAt = when.addingTimeInterval(settings.refreshTokenLifetime)
            try txn.update(rotated)
            return .success(SessionTokens(accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresIn: Int(settings.accessTokenLifetime)))
        }
        return try outcome.get()
    }

    /// Ends the caller's session; with an API token, the session named by
    /// `refreshToken` if it is the caller's.
    public func signOut(_ principal: Principal, refreshToken: String?) throws {
        var target: String?
        if case let .session(id) = principal.credential {
            target = id
        } else if let refreshToken, let id = Self.sessionID(fromRefreshToken: refreshToken) {
            target = id
        }
        guard let target else { return }
        try write { txn in
            if let session = try txn.reader.get(Session.self, id: target), session.accountID == principal.accountID {
                try txn.delete(Session.self, id: session.id)
            }
        }
    }

    // MARK: Helpers

    func createSession(for accountID: String, in txn: WriteTransaction, at when: Date) throws -> SessionTokens {
        let id = Identifier.generate().rawValue
        let tokens = Self.issueTokens(sessionID: id)
        try txn.insert(Session(
            id: id, accountID: accountID,
            accessTokenHash: SecretToken.hash(tokens.accessToken), accessExpiresAt: when.addingTimeInterval(settings.accessTokenLifetime),
            refreshTokenHash: SecretToken.hash(tokens.refreshToken), refreshExpiresAt: when.addingTimeInterval(settings.refreshTokenLifetime),
            createdAt: when
        ))
        return SessionTokens(accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, expiresIn: Int(settings.accessTokenLifetime))
    }

    /// A refresh token names its session (`cdr_<session id><secret>`), so a
    /// replayed old token finds the session it must revoke.
    static func issueTokens(sessionID: String) -> (accessToken: String, refreshToken: String) {
        (SecretToken.generate(prefix: TokenPrefix.access), SecretToken.generate(prefix: TokenPrefix.refresh + sessionID))
    }

    static func sessionID(fromRefreshToken token: String) -> String? {
        guard SecretToken.isWellFormed(token, prefix: TokenPrefix.refresh, extraLength: 26) else { return nil }
        let id = String(token.dropFirst(TokenPrefix.refresh.count).prefix(26))
        return Identifier(id)?.rawValue
    }
}
