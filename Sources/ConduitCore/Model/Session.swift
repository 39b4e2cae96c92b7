public import Foundation

/// A signed-in session: one current access token and one current refresh
/// token, both stored only as SHA-256.
public struct Session: Codable, Sendable, Equatable {
    public var id: String
    public var accountID: String
    public var accessTokenHash: String
    public var accessExpiresAt: Date
    public var refreshTokenHash: String
    public var refreshExpiresAt: Date
    public var createdAt: Date

    public init(id: String, accountID: String, accessTokenHash: String, accessExpiresAt: Date,
                refreshTokenHash: String, refreshExpiresAt: Date, createdAt: Date) {
        self.id = id
        self.accountID = accountID
        self.accessTokenHash = accessTokenHash
        self.accessExpiresAt = accessExpiresAt
        self.refreshTokenHash = refreshTokenHash
        self.refreshExpiresAt = refreshExpiresAt
        self.createdAt = createdAt
    }
}

/// A long-lived bearer token for scripts.
public struct APIToken: Codable, Sendable, Equatable {
    public var id: String
    public var accountID: String
    public var name: String
    public var tokenHash: String
    /// Canonical CIDR strings; empty = any address.
    public var allowedIPs: [String]
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var createdAt: Date

    public init(id: String, accountID: String, name: String, tokenHash: String, allowedIPs: [String],
                expiresAt: Date?, createdAt: Date) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.tokenHash = tokenHash
        self.allowedIPs = allowedIPs
        self.expiresAt = expiresAt
        self.lastUsedAt = nil
        self.createdAt = createdAt
    }
}

/// The second step of a sign-in with TOTP enabled.
public struct LoginChallenge: Codable, Sendable, Equatable {
    public var id: String
    public var accountID: String
    public var tokenHash: String
    public var expiresAt: Date
    public var failedAttempts: Int

    public init(id: String, accountID: String, tokenHash: String, expiresAt: Date) {
        self.id = id
        self.accountID = accountID
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.failedAttempts = 0
    }
}

/// A single-use password-reset token.
public struct PasswordReset: Codable, Sendable, Equatable {
    public var id: String
    public var accountID: String
    public var tokenHash: String
    public var expiresAt: Date

    public init(id: String, accountID: String, tokenHash: String, expiresAt: Date) {
        self.id = id
        self.accountID = accountID
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
    }
}

/// Recent failed sign-ins for one email, keyed by the email's SHA-256.
public struct SignInFailures: Codable, Sendable, Equatable {
    public var id: String
    public var failures: [Date]

    public init(id: String, failures: [Date]) {
        self.id = id
        self.failures = failures
    }
}
