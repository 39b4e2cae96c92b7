public import Foundation

/// What the identity rules depend on from the configuration.
public struct IdentitySettings: Sendable {
    /// Shown in authenticator apps.
    public var totpIssuer: String
    /// Base of the password-reset link.
    public var publicURL: String
    /// Sender of password-reset mail.
    public var mailFrom: String
    public var accessTokenLifetime: TimeInterval = 900
    public var refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
    public var challengeLifetime: TimeInterval = 300
    public var resetTokenLifetime: TimeInterval = 3600
    /// Failed sign-ins per email within `signInWindow` before 429.
    public var maxSignInFailures = 5
    public var signInWindow: TimeInterval = 15 * 60
    /// Wrong TOTP or backup codes per account within `secondFactorWindow`
    /// (over every challenge, 2FA disable and backup-code regeneration) before 429.
    public var maxSecondFactorFailures = 5
    public var secondFactorWindow: TimeInterval = 15 * 60
    /// Password-reset mails per email within `passwordResetWindow`; more
    /// requests still answer 202 but send nothing.
    public var maxPasswordResetMails = 5
    public var passwordResetWindow: TimeInterval = 15 * 60
    public var maxAPITokensPerAccount = 100

    public init(totpIssuer: String, publicURL: String, mailFrom: String) {
        self.totpIssuer = totpIssuer
        self.publicURL = publicURL
        self.mailFrom = mailFrom
    }
}
