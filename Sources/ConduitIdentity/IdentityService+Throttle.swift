import ConduitCore
import ConduitStore
import Foundation

/// What a throttle counts, each under its own key in the `sign_in_failures`
/// table (the key is a SHA-256, so the table never holds an email in clear).
enum ThrottleKey {
    /// Wrong passwords for one email: sign-in, password change, account deletion.
    static func password(_ email: String) -> String { SecretToken.hash("sign-in:" + email) }
    /// Wrong TOTP or backup codes for one account, over every challenge,
    /// 2FA disable and backup-code regeneration.
    static func secondFactor(_ accountID: String) -> String { SecretToken.hash("2fa:" + accountID) }
    /// Password-reset mails sent to one email.
    static func passwordReset(_ email: String) -> String { SecretToken.hash("password-reset:" + email) }
}

extension IdentityService {
    /// Seconds until `record` lets another attempt through, or nil when it does:
    /// `limit` entries within `window` close it until the oldest of them ages out.
    static func retryAfter(_ record: SignInFailures?, limit: Int, window: TimeInterval, at when: Date) -> Int? {
        guard let record else { return nil }
        let recent = record.failures.filter { when.timeIntervalSince($0) < window }
        guard recent.count >= limit, let oldest = recent.suffix(limit).first else { return nil }
        return max(1, Int(oldest.addingTimeInterval(window).timeIntervalSince(when).rounded(.up)))
    }

    /// Counts one attempt under `key` in `txn`, or throws `refusal` with the
    /// seconds to wait when `limit` attempts within `window` are already
    /// counted. Checking and counting in one write transaction makes the limit
    /// hold under any number of concurrent callers (LMDB serializes writers):
    /// a password check reserves its attempt *before* the scrypt run, so a
    /// burst of guesses cannot all pass the check while none is recorded yet.
    func countAttempt(
        _ key: String, in txn: WriteTransaction, at when: Date,
        limit: Int, window: TimeInterval, refusal: (Int) -> IdentityError
    ) throws {
        let record = try txn.reader.get(SignInFailures.self, id: key)
        if let wait = Self.retryAfter(record, limit: limit, window: window, at: when) { throw refusal(wait) }
        let kept = (record?.failures ?? []).filter { when.timeIntervalSince($0) < window }
        try txn.save(SignInFailures(id: key, failures: Array((kept + [when]).suffix(limit))))
    }

    /// Reserves one password attempt for `email`; it stays counted as a
    /// failure unless the password turns out right (`clearAttempts`).
    func reservePasswordAttempt(_ email: String) throws {
        let when = now()
        try write { txn in
            try countAttempt(
                ThrottleKey.password(email), in: txn, at: when,
                limit: settings.maxSignInFailures, window: settings.signInWindow, refusal: IdentityError.tooManyAttempts
            )
        }
    }

    /// Refuses a second-factor check while the account's wrong codes are at
    /// the limit (even a right code: guessing must not go on through it).
    func checkSecondFactorThrottle(_ accountID: String, in txn: WriteTransaction, at when: Date) throws {
        let record = try txn.reader.get(SignInFailures.self, id: ThrottleKey.secondFactor(accountID))
        if let wait = Self.retryAfter(record, limit: settings.maxSecondFactorFailures, window: settings.secondFactorWindow, at: when) {
            throw IdentityError.tooManyCodes(retryAfter: wait)
        }
    }

    /// Records a wrong TOTP or backup code for the account.
    func recordSecondFactorFailure(_ accountID: String, in txn: WriteTransaction, at when: Date) throws {
        try countAttempt(
            ThrottleKey.secondFactor(accountID), in: txn, at: when,
            limit: settings.maxSecondFactorFailures, window: settings.secondFactorWindow, refusal: IdentityError.tooManyCodes
        )
    }

    func clearAttempts(_ key: String, in txn: WriteTransaction) throws {
        try txn.delete(SignInFailures.self, id: key)
    }

    /// A TOTP or backup code checked under the per-account second-factor
    /// throttle, inside the caller's write transaction: `nil` when the code
    /// was right (the account's failures are forgiven), else the error to
    /// answer — throttled, or a wrong code whose failure is recorded (it is
    /// committed with the transaction even though the call fails).
    func secondFactorRefusal(_ code: String, of account: inout Account, in txn: WriteTransaction, at when: Date) throws -> IdentityError? {
        do {
            try checkSecondFactorThrottle(account.id, in: txn, at: when)
        } catch let error as IdentityError {
            return error
        }
        guard consumeSecondFactor(code, of: &account, at: when) else {
            try recordSecondFactorFailure(account.id, in: txn, at: when)
            return .invalidTOTP
        }
        try clearAttempts(ThrottleKey.secondFactor(account.id), in: txn)
        return nil
    }
}
