/// Every way an identity operation can be refused. The API layer maps each
/// case to a status and a `code`; nothing here knows HTTP.
public enum IdentityError: Error, Equatable, Sendable {
    /// No, or no valid, bearer token.
    case unauthorized
    /// Wrong email or password.
    case invalidCredentials
    /// A refresh, challenge or reset token that is unknown, used or expired.
    case invalidToken
    /// A wrong TOTP or backup code.
    case invalidTOTP
    case emailTaken
    case invalidEmail
    case invalidPassword
    case invalidTimezone
    case confirmationRequired
    case totpNotSetUp
    case totpNotEnabled
    case totpAlreadyEnabled
    case invalidName
    case invalidIP(String)
    case invalidExpiresIn
    case tooManyTokens(limit: Int)
    /// Sign-in throttled; try again after this many seconds.
    case tooManyAttempts(retryAfter: Int)
    /// Too many wrong TOTP or backup codes for the account; try again after this many seconds.
    case tooManyCodes(retryAfter: Int)
    /// The operation changes credentials and needs a session's access token,
    /// not an API token.
    case sessionRequired
    case notFound
    /// The store is full; nothing was changed.
    case storageFull
}
