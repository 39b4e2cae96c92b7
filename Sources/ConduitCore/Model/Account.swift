public import Foundation

/// A Conduit user. Every other resource belongs to exactly one account.
public struct Account: Codable, Sendable, Equatable {
    public var id: String
    /// Normalized (`EmailAddress.normalize`), unique.
    public var email: String
    /// `PasswordHasher` format.
    public var passwordHash: String
    /// IANA name.
    public var timezone: String
    public var createdAt: Date
    public var updatedAt: Date
    /// Present once TOTP 2FA is enabled.
    public var totp: TOTPSettings?
    /// Base32 secret from `2fa/setup`, waiting for `2fa/enable`.
    public var pendingTOTPSecret: String?

    public init(id: String, email: String, passwordHash: String, timezone: String = "UTC", createdAt: Date) {
        self.id = id
        self.email = email
        self.passwordHash = passwordHash
        self.timezone = timezone
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

/// Enabled TOTP 2FA. The secret must be readable to check codes, so unlike
/// passwords and tokens it cannot be stored hashed.
public struct TOTPSettings: Codable, Sendable, Equatable {
    /// Base32 shared secret (160 bits).
    public var secret: String
    /// The last accepted step; codes of it and earlier steps are refused.
    public var lastUsedStep: Int64?
    /// SHA-256 (hex) of each unused backup code.
    public var backupCodeHashes: [String]

    public init(secret: String, lastUsedStep: Int64?, backupCodeHashes: [String]) {
        self.secret = secret
        self.lastUsedStep = lastUsedStep
        self.backupCodeHashes = backupCodeHashes
    }
}
