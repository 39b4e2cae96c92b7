import ConduitCore
import Foundation
@testable import ConduitStore

// Sample values of every record type for `RecordCodecTests`: edge values
// (empty and non-ASCII strings, absent optionals, extreme integers, dates
// before 1970 and with sub-millisecond parts) beside ordinary ones.
extension RecordCodecTests {
    static let epoch = Date(timeIntervalSince1970: 0)
    /// Dates that a millisecond round trip would not keep: sub-millisecond,
    /// before 1970, far past and future.
    static let dates = [
        Date(timeIntervalSince1970: 1_796_530_626.748_615_5), Date(timeIntervalSince1970: -12_345_678_901.000_1),
        Date.distantPast, Date.distantFuture, epoch,
    ]
    static let strings = ["", "plain", "ünïcode ✓ 🚀 e\u{301}", "nul\u{0}inside", String(repeating: "long ", count: 2_000)]

    // MARK: Samples of every record type

    static func accounts() -> [Account] {
        var plain = Account(id: "a1", email: "", passwordHash: "", timezone: "", createdAt: dates[1])
        plain.updatedAt = dates[0]
        var full = Account(id: "a2", email: strings[2], passwordHash: strings[4], timezone: "Europe/Zürich", createdAt: dates[2])
        full.totp = TOTPSettings(secret: "JBSWY3DPEHPK3PXP", lastUsedStep: Int64.min, backupCodeHashes: ["", strings[2]])
        full.pendingTOTPSecret = strings[3]
        var noStep = full
        noStep.id = "a3"
        noStep.email = "other@example.org"
        noStep.totp = TOTPSettings(secret: "", lastUsedStep: nil, backupCodeHashes: [])
        noStep.pendingTOTPSecret = nil
        return [plain, full, noStep]
    }

    static func sessions() -> [Session] {
        [Session(id: "s", accountID: strings[2], accessTokenHash: "h", accessExpiresAt: dates[3], refreshTokenHash: strings[4],
                 refreshExpiresAt: dates[2], createdAt: dates[1])]
    }

    static func apiTokens() -> [APIToken] {
        var used = APIToken(id: "t", accountID: "a", name: strings[2], tokenHash: "h", allowedIPs: ["127.0.0.0/8", "::1/128"],
                            expiresAt: dates[1], createdAt: dates[0])
        used.lastUsedAt = dates[3]
        return [used, APIToken(id: "t2", accountID: "", name: "", tokenHash: "", allowedIPs: [], expiresAt: nil, createdAt: dates[4])]
    }

    static func challenges() -> [LoginChallenge] {
        var challenge = LoginChallenge(id: "c", accountID: "a", tokenHash: strings[2], expiresAt: dates[1])
        challenge.failedAttempts = Int.max
        return [challenge, LoginChallenge(id: "c2", accountID: "", tokenHash: "", expiresAt: dates[2])]
    }

    static func resets() -> [PasswordReset] {
        [PasswordReset(id: "r", accountID: "a", tokenHash: "rh", expiresAt: dates[0]),
         PasswordReset(id: "r2", accountID: "a", tokenHash: strings[3], expiresAt: dates[1])]
    }

    static func failures() -> [SignInFailures] {
        [SignInFailures(id: "f", failures: []), SignInFailures(id: "f2", failures: dates)]
    }

    static func domains() -> [Domain] {
        var claimed = Domain(id: "d", accountID: "a", name: "xn--bcher-kva.example", verificationToken: strings[2], verified: false,
                             isPublic: false, createdAt: dates[1])
        claimed.updatedAt = dates[0]
        return [claimed, Domain(id: "d2", accountID: nil, name: "", verificationToken: nil, verified: true, isPublic: true, createdAt: dates[4])]
    }

    static func webhooks() -> [Webhook] {
        var full = Webhook(id: "w", accountID: "a", address: "*@example.org", targetURL: "https://receiver.example/ü",
                           secret: "whsec_x", customHeaders: ["X-Tenant": "acme", "X-Empty": "", "X-Note": strings[2]],
                           payloadTemplate: strings[4], rateLimit: Int.min, active: true, smtpSecurityPolicyID: "p", createdAt: dates[1])
        full.updatedAt = dates[3]
        full.payloadFormat = .jsonRaw
        full.maxPayloadBytes = Int.max
        full.previousSecret = "whsec_old"
        full.previousSecretExpiresAt = dates[4]
        var raw = full
        raw.id = "w3"
        raw.payloadFormat = .raw
        raw.maxPayloadBytes = 65_536
        let bare = Webhook(id: "w2", accountID: "", address: "", targetURL: "", secret: "", customHeaders: [:], payloadTemplate: nil,
                           rateLimit: 0, active: false, smtpSecurityPolicyID: nil, createdAt: dates[0])
        return [full, bare, raw]
    }

    static func policies() -> [SMTPSecurityPolicy] {
        var full = SMTPSecurityPolicy(id: "p", accountID: "a", name: strings[2], createdAt: dates[1])
        full.allowedSourceIPs = ["10.0.0.0/8", ""]
        full.allowedSPFDomains = ["example.org"]
        full.allowedDKIMDomains = [strings[2]]
        full.requireSPF = true
        full.requireDKIM = false
        full.requireSMTPAuth = true
        full.credentials = [SMTPCredential(username: "relay", passwordHash: strings[4]), SMTPCredential(username: "x", passwordHash: "")]
        full.updatedAt = dates[2]
        full.dmarcEnforcement = .reject
        return [full, SMTPSecurityPolicy(id: "p2", accountID: "", name: "", createdAt: dates[4])]
    }

    static func messages() -> [SpooledMessage] {
        let full = SpooledMessage(
            id: "m", receivedAt: dates[0], mailFrom: "", remoteIP: "::ffff:127.0.0.1", helo: strings[2], tls: true, authUser: strings[3],
            spf: SpooledSPF(result: "pass", domain: "example.org"),
            dkim: [SpooledDKIM(domain: "example.org", selector: "s1", result: "pass"), SpooledDKIM(domain: "", selector: "", result: "")],
            size: Int.max,
            recipients: [SpooledRecipient(rcptTo: "a+tag@example.org", webhookID: "w", accountID: "a", tag: "tag"),
                         SpooledRecipient(rcptTo: strings[2], webhookID: "", accountID: "", tag: nil)],
            dmarc: SpooledDMARC(result: "fail", domain: strings[2], policy: "reject", spfAligned: true, dkimAligned: false,
                                organizationalDomain: "example.org"),
            arc: SpooledARC(result: "pass", instances: Int.max), authservID: strings[2])
        let bare = SpooledMessage(id: "m2", receivedAt: dates[1], mailFrom: "", remoteIP: "", helo: "", tls: false, authUser: nil,
                                  spf: SpooledSPF(result: "", domain: nil), dkim: [], size: 0, recipients: [])
        let noSPF = SpooledMessage(id: "m3", receivedAt: dates[2], mailFrom: "x@y", remoteIP: "1.2.3.4", helo: "h", tls: false,
                                   authUser: nil, spf: nil, dkim: [], size: -1, recipients: [],
                                   dmarc: SpooledDMARC(result: "", domain: "", policy: "", spfAligned: false, dkimAligned: true,
                                                       organizationalDomain: nil),
                                   arc: SpooledARC(result: "none", instances: 0))
        return [full, bare, noSPF]
    }

    static func deliveries() -> [Delivery] {
        var leased = Delivery(id: "d", messageID: "m", webhookID: "w", accountID: "a", rcptTo: strings[2], tag: "", state: .pending,
                              attempts: 3, nextAttemptAt: dates[0], createdAt: dates[1], updatedAt: dates[3])
        leased.leasedUntil = dates[0]
        leased.redeliveryOf = strings[2]
        let states: [Delivery.State] = [.pending, .delivered, .failed, .dead]
        return [leased] + states.map {
            Delivery(id: "d-\($0)", messageID: "", webhookID: "", accountID: "", rcptTo: "", tag: nil, state: $0,
                     attempts: Int.max, nextAttemptAt: dates[2], createdAt: dates[4])
        }
    }

    static func logs() -> [DeliveryLog] {
        [DeliveryLog(id: "l", webhookID: "w", accountID: "a", deliveryID: "d", messageID: "m", smtpMessageID: "<x@y>", sender: "",
                     attemptedAt: dates[0], durationMs: 1_234, httpStatus: 503, error: strings[2], simulated: true),
         DeliveryLog(id: "l2", webhookID: "", accountID: "", deliveryID: nil, messageID: "", smtpMessageID: nil, sender: strings[3],
                     attemptedAt: dates[1], durationMs: Int.min, httpStatus: nil, error: nil, simulated: false)]
    }

    /// Runs `check` over every sample of every record type, with a test of
    /// equality to the sample.
    static func forEachSample(_ check: (any StoreRecord, @escaping (any StoreRecord) -> Bool) throws -> Void) throws {
        func each<R: StoreRecord & Equatable>(_ records: [R]) throws {
            for record in records { try check(record, { ($0 as? R) == record }) }
        }
        try each(accounts()); try each(sessions()); try each(apiTokens()); try each(challenges()); try each(resets())
        try each(failures()); try each(domains()); try each(webhooks()); try each(policies()); try each(messages())
        try each(deliveries()); try each(logs())
    }

    /// The stored properties each layout writes. A property added to a model
    /// type fails this test until its layout (`Records/*Layouts.swift`)
    /// writes and reads it, with a new layout version.
    static let layoutFields: [String: [String]] = [
        "Account": ["id", "email", "passwordHash", "timezone", "createdAt", "updatedAt", "totp", "pendingTOTPSecret"],
        "Session": ["id", "accountID", "accessTokenHash", "accessExpiresAt", "refreshTokenHash", "refreshExpiresAt", "createdAt"],
        "APIToken": ["id", "accountID", "name", "tokenHash", "allowedIPs", "expiresAt", "lastUsedAt", "createdAt"],
        "LoginChallenge": ["id", "accountID", "tokenHash", "expiresAt", "failedAttempts"],
        "PasswordReset": ["id", "accountID", "tokenHash", "expiresAt"],
        "SignInFailures": ["id", "failures"],
        "Domain": ["id", "accountID", "name", "verificationToken", "verified", "isPublic", "createdAt", "updatedAt"],
        "Webhook": ["id", "accountID", "address", "targetURL", "secret", "customHeaders", "payloadTemplate", "rateLimit", "active",
                    "smtpSecurityPolicyID", "payloadFormat", "maxPayloadBytes", "previousSecret", "previousSecretExpiresAt",
                    "createdAt", "updatedAt"],
        "SMTPSecurityPolicy": ["id", "accountID", "name", "allowedSourceIPs", "allowedSPFDomains", "allowedDKIMDomains", "requireSPF",
                               "requireDKIM", "requireSMTPAuth", "credentials", "dmarcEnforcement", "createdAt", "updatedAt"],
        "SpooledMessage": ["id", "receivedAt", "mailFrom", "remoteIP", "helo", "tls", "authUser", "spf", "dkim", "size", "recipients",
                           "dmarc", "arc", "authservID"],
        "Delivery": ["id", "messageID", "webhookID", "accountID", "rcptTo", "tag", "state", "attempts", "nextAttemptAt", "leasedUntil",
                     "redeliveryOf", "createdAt", "updatedAt"],
        "DeliveryLog": ["id", "webhookID", "accountID", "deliveryID", "messageID", "smtpMessageID", "sender", "attemptedAt", "durationMs",
                        "httpStatus", "error", "simulated"],
        "TOTPSettings": ["secret", "lastUsedStep", "backupCodeHashes"],
        "SMTPCredential": ["username", "passwordHash"],
        "SpooledSPF": ["result", "domain"],
        "SpooledDKIM": ["domain", "selector", "result"],
        "SpooledDMARC": ["result", "domain", "policy", "spfAligned", "dkimAligned", "organizationalDomain"],
        "SpooledARC": ["result", "instances"],
        "SpooledRecipient": ["rcptTo", "webhookID", "accountID", "tag"],
    ]
}
