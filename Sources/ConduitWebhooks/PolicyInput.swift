/// Fields of a policy create or partial update; nil = absent (keep on update).
public struct PolicyInput: Sendable {
    public var name: String?
    public var allowedSourceIPs: String?
    public var allowedSPFDomains: String?
    public var allowedDKIMDomains: String?
    public var requireSPF: Bool?
    public var requireDKIM: Bool?
    public var requireSMTPAuth: Bool?
    /// `user:password` entries separated by commas or newlines.
    public var smtpCredentials: String?
    /// `off` or `reject`.
    public var dmarcEnforcement: String?

    public init(name: String? = nil, allowedSourceIPs: String? = nil, allowedSPFDomains: String? = nil, allowedDKIMDomains: String? = nil,
                requireSPF: Bool? = nil, requireDKIM: Bool? = nil, requireSMTPAuth: Bool? = nil, smtpCredentials: String? = nil,
                dmarcEnforcement: String? = nil) {
        self.dmarcEnforcement = dmarcEnforcement
        self.name = name
        self.allowedSourceIPs = allowedSourceIPs
        self.allowedSPFDomains = allowedSPFDomains
        self.allowedDKIMDomains = allowedDKIMDomains
        self.requireSPF = requireSPF
        self.requireDKIM = requireDKIM
        self.requireSMTPAuth = requireSMTPAuth
        self.smtpCredentials = smtpCredentials
    }
}

/// Fields of a webhook create or partial update; nil = absent (keep on update).
public struct WebhookInput: Sendable {
    public var address: String?
    public var targetURL: String?
    public var secret: String?
    public var customHeaders: [String: String]?
    /// "" removes the template.
    public var payloadTemplate: String?
    public var rateLimit: Int?
    public var active: Bool?
    public var smtpSecurityPolicyID: String?
    public var clearSecurityPolicy: Bool?
    /// `json`, `json_raw` or `raw`.
    public var payloadFormat: String?
    /// Absent: unchanged; `.some(nil)`: unlimited; `.some(n)`: n bytes.
    public var maxPayloadBytes: Int??

    public init(address: String? = nil, targetURL: String? = nil, secret: String? = nil, customHeaders: [String: String]? = nil,
                payloadTemplate: String? = nil, rateLimit: Int? = nil, active: Bool? = nil,
                smtpSecurityPolicyID: String? = nil, clearSecurityPolicy: Bool? = nil,
                payloadFormat: String? = nil, maxPayloadBytes: Int?? = nil) {
        self.address = address
        self.targetURL = targetURL
        self.secret = secret
        self.customHeaders = customHeaders
        self.payloadTemplate = payloadTemplate
        self.rateLimit = rateLimit
        self.active = active
        self.smtpSecurityPolicyID = smtpSecurityPolicyID
        self.clearSecurityPolicy = clearSecurityPolicy
        self.payloadFormat = payloadFormat
        self.maxPayloadBytes = maxPayloadBytes
    }
}
