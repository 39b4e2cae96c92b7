public import ConduitCore

// Binary layouts (format 2) of the webhook, policy and domain tables. The
// webhook and its policy are read for every recipient of every message.

extension Webhook {
    /// 2 added `payloadFormat`, `maxPayloadBytes`, `previousSecret` and
    /// `previousSecretExpiresAt` (layout 1 reads them as json, nil, nil, nil).
    public static let layoutVersion: UInt8 = 2

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(accountID)
        writer.write(address)
        writer.write(targetURL)
        writer.write(secret)
        writer.write(customHeaders)
        writer.write(payloadTemplate)
        writer.write(rateLimit)
        writer.write(active)
        writer.write(smtpSecurityPolicyID)
        writer.write(createdAt)
        writer.write(updatedAt)
        writer.writeByte(payloadFormat.byte)
        writer.write(maxPayloadBytes)
        writer.write(previousSecret)
        writer.write(previousSecretExpiresAt)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> Webhook {
        let id = try reader.string()
        let accountID = try reader.string()
        let address = try reader.string()
        let targetURL = try reader.string()
        let secret = try reader.string()
        let customHeaders = try reader.stringMap()
        let payloadTemplate = try reader.optionalString()
        let rateLimit = try reader.int()
        let active = try reader.bool()
        let policyID = try reader.optionalString()
        let createdAt = try reader.date()
        var webhook = Webhook(id: id, accountID: accountID, address: address, targetURL: targetURL, secret: secret,
                              customHeaders: customHeaders, payloadTemplate: payloadTemplate, rateLimit: rateLimit,
                              active: active, smtpSecurityPolicyID: policyID, createdAt: createdAt)
        webhook.updatedAt = try reader.date()
        if reader.layout >= 2 {
            webhook.payloadFormat = try PayloadFormat(byte: try reader.byte())
            webhook.maxPayloadBytes = try reader.optionalInt()
            webhook.previousSecret = try reader.optionalString()
            webhook.previousSecretExpiresAt = try reader.optionalDate()
        }
        return webhook
    }
}

extension Webhook.PayloadFormat {
    /// The stored byte of each format. Stable: part of the on-disk layout.
    var byte: UInt8 {
        switch self {
        case .json: 0
        case .jsonRaw: 1
        case .raw: 2
        }
    }

    init(byte: UInt8) throws(StoreError) {
        switch byte {
        case 0: self = .json
        case 1: self = .jsonRaw
        case 2: self = .raw
        default: throw StoreError.corrupted("payload format byte \(byte)")
        }
    }
}

extension SMTPSecurityPolicy {
    /// 2 added `dmarcEnforcement` (layout 1 reads it as `off`).
    public static let layoutVersion: UInt8 = 2

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(accountID)
        writer.write(name)
        writer.write(allowedSourceIPs)
        writer.write(allowedSPFDomains)
        writer.write(allowedDKIMDomains)
        writer.write(requireSPF)
        writer.write(requireDKIM)
        writer.write(requireSMTPAuth)
        writer.write(credentials)
        writer.write(createdAt)
        writer.write(updatedAt)
        writer.writeByte(dmarcEnforcement.byte)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SMTPSecurityPolicy {
        let id = try reader.string()
        let accountID = try reader.string()
        let name = try reader.string()
        let allowedSourceIPs = try reader.strings()
        let allowedSPFDomains = try reader.strings()
        let allowedDKIMDomains = try reader.strings()
        let requireSPF = try reader.bool()
        let requireDKIM = try reader.bool()
        let requireSMTPAuth = try reader.bool()
        let credentials = try reader.values(SMTPCredential.self)
        var policy = SMTPSecurityPolicy(id: id, accountID: accountID, name: name, createdAt: try reader.date())
        policy.allowedSourceIPs = allowedSourceIPs
        policy.allowedSPFDomains = allowedSPFDomains
        policy.allowedDKIMDomains = allowedDKIMDomains
        policy.requireSPF = requireSPF
        policy.requireDKIM = requireDKIM
        policy.requireSMTPAuth = requireSMTPAuth
        policy.credentials = credentials
        policy.updatedAt = try reader.date()
        if reader.layout >= 2 { policy.dmarcEnforcement = try SMTPSecurityPolicy.DMARCEnforcement(byte: try reader.byte()) }
        return policy
    }
}

extension SMTPSecurityPolicy.DMARCEnforcement {
    /// The stored byte of each setting. Stable: part of the on-disk layout.
    var byte: UInt8 {
        switch self {
        case .off: 0
        case .reject: 1
        }
    }

    init(byte: UInt8) throws(StoreError) {
        switch byte {
        case 0: self = .off
        case 1: self = .reject
        default: throw StoreError.corrupted("dmarc enforcement byte \(byte)")
        }
    }
}

extension SMTPCredential: BinaryValue {
    public func encode(to writer: inout RecordWriter) {
        writer.write(username)
        writer.write(passwordHash)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SMTPCredential {
        let username = try reader.string()
        return SMTPCredential(username: username, passwordHash: try reader.string())
    }
}

extension Domain {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(accountID)
        writer.write(name)
        writer.write(verificationToken)
        writer.write(verified)
        writer.write(isPublic)
        writer.write(createdAt)
        writer.write(updatedAt)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> Domain {
        let id = try reader.string()
        let accountID = try reader.optionalString()
        let name = try reader.string()
        let verificationToken = try reader.optionalString()
        let verified = try reader.bool()
        let isPublic = try reader.bool()
        var domain = Domain(id: id, accountID: accountID, name: name, verificationToken: verificationToken,
                            verified: verified, isPublic: isPublic, createdAt: try reader.date())
        domain.updatedAt = try reader.date()
        return domain
    }
}
