public import Foundation

/// Where mail for one address (or a whole domain, `*@domain`) is delivered.
public struct Webhook: Codable, Sendable, Equatable {
    public var id: String
    public var accountID: String
    /// Lower-case `local@domain` or `*@domain`; the domain in A-label form.
    public var address: String
    public var targetURL: String
    /// `whsec_` + base64; the HMAC key must be readable to sign, so it is stored as is.
    public var secret: String
    public var customHeaders: [String: String]
    public var payloadTemplate: String?
    /// Deliveries per minute; 0 = unlimited.
    public var rateLimit: Int
    public var active: Bool
    public var smtpSecurityPolicyID: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, accountID: String, address: String, targetURL: String, secret: String,
                customHeaders: [String: String], payloadTemplate: String?, rateLimit: Int, active: Bool,
                smtpSecurityPolicyID: String?, createdAt: Date) {
        self.id = id
        self.accountID = accountID
        self.address = address
        self.targetURL = targetURL
        self.secret = secret
        self.customHeaders = customHeaders
        self.payloadTemplate = payloadTemplate
        self.rateLimit = rateLimit
        self.active = active
        self.smtpSecurityPolicyID = smtpSecurityPolicyID
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// The domain part of `address`.
    public var domain: String { String(address.split(separator: "@", maxSplits: 1).last ?? "") }
}

/// Conditions inbound mail must meet before a webhook receives it.
public struct SMTPSecurityPolicy: Codable, Sendable, Equatable {
    public var id: String
    public var accountID: String
    public var name: String
    /// Canonical CIDRs; empty = any source.
    public var allowedSourceIPs: [String]
    /// Normalized domains SPF must pass for; empty = any domain (when SPF is required).
    public var allowedSPFDomains: [String]
    /// Normalized domains a passing DKIM signature must be from; empty = any.
    public var allowedDKIMDomains: [String]
    public var requireSPF: Bool
    public var requireDKIM: Bool
    public var requireSMTPAuth: Bool
    /// SMTP AUTH users; passwords only as `PasswordHasher` hashes.
    public var credentials: [SMTPCredential]
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, accountID: String, name: String, createdAt: Date) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.allowedSourceIPs = []
        self.allowedSPFDomains = []
        self.allowedDKIMDomains = []
        self.requireSPF = false
        self.requireDKIM = false
        self.requireSMTPAuth = false
        self.credentials = []
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}

/// One SMTP AUTH user of a policy.
public struct SMTPCredential: Codable, Sendable, Equatable {
    public var username: String
    public var passwordHash: String

    public init(username: String, passwordHash: String) {
        self.username = username
        self.passwordHash = passwordHash
    }
}
