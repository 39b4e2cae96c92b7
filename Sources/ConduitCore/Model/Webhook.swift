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
    /// What each POST's body is (docs/DELIVERY.md, "Payload formats").
    public var payloadFormat: PayloadFormat
    /// The largest `json`/`json_raw` body this webhook's receiver takes;
    /// `nil` = unlimited. Larger payloads hand out links instead of bytes.
    public var maxPayloadBytes: Int?
    /// The secret `rotate-secret` replaced, still signing beside `secret`
    /// until `previousSecretExpiresAt`; both `nil` when none is valid.
    public var previousSecret: String?
    public var previousSecretExpiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    /// The body of a webhook's POST.
    public enum PayloadFormat: String, Codable, Sendable, CaseIterable {
        /// The JSON payload (or the `payload_template`'s rendering).
        case json
        /// The JSON payload plus `raw_base64`, the spooled message bytes.
        case jsonRaw = "json_raw"
        /// The spooled message itself, `Content-Type: message/rfc822`.
        case raw
    }

    /// The previous secret if it still signs at `now`.
    public func previousSecret(at now: Date) -> String? {
        guard let previousSecret, let expiry = previousSecretExpiresAt, now < expiry else { return nil }
        return previousSecret
    }

    /// `previousSecretExpiresAt` while the previous secret still signs at
    /// `now`, else `nil`: what the API shows, so a passed expiry reads as none.
    public func previousSecretExpiry(at now: Date) -> Date? {
        previousSecret(at: now) == nil ? nil : previousSecretExpiresAt
    }

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
        self.payloadFormat = .json
        self.maxPayloadBytes = nil
        self.previousSecret = nil
        self.previousSecretExpiresAt = nil
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// The domain part of `address`.
    public var domain: String { String(address.split(separator: "@", maxSplits: 1).last ?? "") }

    /// Decodes JSON written before `payloadFormat` existed (the schema-3
    /// store's format-1 records) with the default format.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try c.decode(String.self, forKey: .id), accountID: try c.decode(String.self, forKey: .accountID),
            address: try c.decode(String.self, forKey: .address), targetURL: try c.decode(String.self, forKey: .targetURL),
            secret: try c.decode(String.self, forKey: .secret),
            customHeaders: try c.decode([String: String].self, forKey: .customHeaders),
            payloadTemplate: try c.decodeIfPresent(String.self, forKey: .payloadTemplate),
            rateLimit: try c.decode(Int.self, forKey: .rateLimit), active: try c.decode(Bool.self, forKey: .active),
            smtpSecurityPolicyID: try c.decodeIfPresent(String.self, forKey: .smtpSecurityPolicyID),
            createdAt: try c.decode(Date.self, forKey: .createdAt)
        )
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
        payloadFormat = try c.decodeIfPresent(PayloadFormat.self, forKey: .payloadFormat) ?? .json
        maxPayloadBytes = try c.decodeIfPresent(Int.self, forKey: .maxPayloadBytes)
        previousSecret = try c.decodeIfPresent(String.self, forKey: .previousSecret)
        previousSecretExpiresAt = try c.decodeIfPresent(Date.self, forKey: .previousSecretExpiresAt)
    }
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
    /// What a failing DMARC verdict does to this policy's recipients
    /// (docs/DMARC.md, "Enforcement").
    public var dmarcEnforcement: DMARCEnforcement
    public var createdAt: Date
    public var updatedAt: Date

    /// `dmarc_enforcement`.
    public enum DMARCEnforcement: String, Codable, Sendable, CaseIterable {
        /// The verdict goes into the payload; nothing is refused.
        case off
        /// DMARC `fail` under `p=reject`: `550 5.7.1` for the recipient;
        /// `temperror`: `451 4.7.5`. `p=quarantine` is delivered.
        case reject
    }

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
        self.dmarcEnforcement = .off
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    /// Decodes JSON written before `dmarcEnforcement` existed (the schema-3
    /// store's format-1 records) as `off`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(id: try c.decode(String.self, forKey: .id), accountID: try c.decode(String.self, forKey: .accountID),
                  name: try c.decode(String.self, forKey: .name), createdAt: try c.decode(Date.self, forKey: .createdAt))
        allowedSourceIPs = try c.decode([String].self, forKey: .allowedSourceIPs)
        allowedSPFDomains = try c.decode([String].self, forKey: .allowedSPFDomains)
        allowedDKIMDomains = try c.decode([String].self, forKey: .allowedDKIMDomains)
        requireSPF = try c.decode(Bool.self, forKey: .requireSPF)
        requireDKIM = try c.decode(Bool.self, forKey: .requireDKIM)
        requireSMTPAuth = try c.decode(Bool.self, forKey: .requireSMTPAuth)
        credentials = try c.decode([SMTPCredential].self, forKey: .credentials)
        dmarcEnforcement = try c.decodeIfPresent(DMARCEnforcement.self, forKey: .dmarcEnforcement) ?? .off
        updatedAt = try c.decode(Date.self, forKey: .updatedAt)
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
