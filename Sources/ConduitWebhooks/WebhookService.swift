public import ConduitCore
public import ConduitStore
public import Foundation
public import Logging

/// Webhooks: which address delivers where. Addresses must be on a domain the
/// account has verified, or on a public domain; each address exists once.
public final class WebhookService: Sendable {
    let store: Store
    let logger: Logger
    public let maxWebhooksPerAccount = 1000

    public init(store: Store, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    public func list(accountID: String) throws -> [Webhook] {
        try store.read { try $0.list(Webhook.self, index: .byAccount, key: accountID, newestFirst: true) }
    }

    public func get(accountID: String, id: String) throws -> Webhook {
        guard Identifier(id) != nil, let webhook = try store.read({ try $0.get(Webhook.self, id: id) }),
              webhook.accountID == accountID
        else { throw ResourceError.notFound }
        return webhook
    }

    public func create(accountID: String, input: WebhookInput) throws -> Webhook {
        guard let rawAddress = input.address else { throw ResourceError.invalid(code: "invalid_request", message: "Missing field 'address'") }
        guard let rawURL = input.targetURL else { throw ResourceError.invalid(code: "invalid_request", message: "Missing field 'target_url'") }
        let address = try FieldRules.address(rawAddress)
        var webhook = Webhook(
            id: Identifier.generate().rawValue, accountID: accountID, address: address,
            targetURL: try FieldRules.targetURL(rawURL),
            secret: try input.secret.map { s throws(ResourceError) in try FieldRules.secret(s) } ?? FieldRules.newSecret(),
            customHeaders: try FieldRules.customHeaders(input.customHeaders ?? [:]),
            payloadTemplate: try input.payloadTemplate.flatMap { t throws(ResourceError) in try FieldRules.payloadTemplate(t) },
            rateLimit: try FieldRules.rateLimit(input.rateLimit ?? 0),
            active: input.active ?? true, smtpSecurityPolicyID: nil, createdAt: PolicyService.now()
        )
        if let raw = input.payloadFormat { webhook.payloadFormat = try FieldRules.payloadFormat(raw) }
        if let limit = input.maxPayloadBytes { webhook.maxPayloadBytes = try FieldRules.maxPayloadBytes(limit) }
        try FieldRules.checkTemplateFormat(webhook)
        let policyID = input.clearSecurityPolicy == true ? nil : input.smtpSecurityPolicyID
        let limit = maxWebhooksPerAccount
        try write { txn in
            try Self.checkDomain(of: address, accountID: accountID, in: txn.reader)
            webhook.smtpSecurityPolicyID = try Self.checkPolicy(policyID, accountID: accountID, in: txn.reader)
            let existing = try txn.reader.list(Webhook.self, index: .byAccount, key: accountID, limit: limit)
            guard existing.count < limit else { throw ResourceError.invalid(code: "too_many_webhooks", message: "An account may have at most \(limit) webhooks") }
            guard try txn.reader.lookup(Webhook.self, index: .byAddress, key: address) == nil else { throw ResourceError.addressTaken }
            try txn.insert(webhook)
        }
        logger.info("webhook created", metadata: ["account": "\(accountID)", "webhook": "\(webhook.id)", "address": "\(address)"])
        return webhook
    }

    /// Partial update: absent fields keep their value; `clearSecurityPolicy` detaches the policy.
    ///
    /// The fields are validated first, then applied inside the write
    /// transaction to the webhook as stored there: a rotation, a 410's
    /// deactivation or another update committed meanwhile is not written
    /// back over with an older copy.
    public func update(accountID: String, id: String, input: WebhookInput) throws -> Webhook {
        _ = try get(accountID: accountID, id: id)
        let address = try input.address.map { raw throws(ResourceError) in try FieldRules.address(raw) }
        let targetURL = try input.targetURL.map { raw throws(ResourceError) in try FieldRules.targetURL(raw) }
        let secret = try input.secret.map { raw throws(ResourceError) in try FieldRules.secret(raw) }
        let headers = try input.customHeaders.map { raw throws(ResourceError) in try FieldRules.customHeaders(raw) }
        let template = try input.payloadTemplate.map { raw throws(ResourceError) in try FieldRules.payloadTemplate(raw) }
        let rateLimit = try input.rateLimit.map { raw throws(ResourceError) in try FieldRules.rateLimit(raw) }
        let format = try input.payloadFormat.map { raw throws(ResourceError) in try FieldRules.payloadFormat(raw) }
        let maxPayloadBytes = try input.maxPayloadBytes.map { raw throws(ResourceError) in try FieldRules.maxPayloadBytes(raw) }
        let now = PolicyService.now()
        return try write { txn in
            guard var webhook = try txn.reader.get(Webhook.self, id: id), webhook.accountID == accountID else {
                throw ResourceError.notFound
            }
            if let address { webhook.address = address }
            if let targetURL { webhook.targetURL = targetURL }
            // A new secret set by hand replaces both: the old one stops signing
            // at once (rotate-secret is the way to keep it for a while). The
            // same secret sent back, as a PUT of a fetched webhook does, keeps it.
            if let secret, secret != webhook.secret {
                webhook.secret = secret
                SecretRotation.dropPreviousSecret(&webhook)
            }
            if let headers { webhook.customHeaders = headers }
            if let template { webhook.payloadTemplate = template }
            if let rateLimit { webhook.rateLimit = rateLimit }
            if let active = input.active { webhook.active = active }
            if let format { webhook.payloadFormat = format }
            if let maxPayloadBytes { webhook.maxPayloadBytes = maxPayloadBytes }
            try FieldRules.checkTemplateFormat(webhook)
            webhook.updatedAt = now
            // An expired previous secret signs nothing: no reason to keep it.
            if webhook.previousSecret(at: now) == nil { SecretRotation.dropPreviousSecret(&webhook) }
            if address != nil { try Self.checkDomain(of: webhook.address, accountID: accountID, in: txn.reader) }
            if input.clearSecurityPolicy == true {
                webhook.smtpSecurityPolicyID = nil
            } else if let policyID = input.smtpSecurityPolicyID {
                webhook.smtpSecurityPolicyID = try Self.checkPolicy(policyID, accountID: accountID, in: txn.reader)
            }
            if let holder = try txn.reader.lookup(Webhook.self, index: .byAddress, key: webhook.address), holder.id != id {
                throw ResourceError.addressTaken
            }
            try txn.update(webhook)
            return webhook
        }
    }

    public func delete(accountID: String, id: String) throws {
        _ = try get(accountID: accountID, id: id)
        try write { txn in try Self.removeWebhook(id: id, in: txn) }
        logger.info("webhook deleted", metadata: ["account": "\(accountID)", "webhook": "\(id)"])
    }

    /// Removes an account's webhooks inside its deletion transaction.
    public static func removeWebhooks(of accountID: String, in txn: WriteTransaction) throws {
        for webhook in try txn.reader.list(Webhook.self, index: .byAccount, key: accountID) {
            try removeWebhook(id: webhook.id, in: txn)
        }
    }

    /// A webhook and its delivery log go together. (Pending deliveries stay
    /// in the spool; the delivery engine drops those whose webhook is gone.)
    static func removeWebhook(id: String, in txn: WriteTransaction) throws {
        _ = try txn.delete(Webhook.self, id: id)
        for log in try txn.reader.list(DeliveryLog.self, index: .byWebhook, key: id) {
            _ = try txn.delete(DeliveryLog.self, id: log.id)
        }
    }

    /// Deletes up to `batch` delivery-log rows attempted before `cutoff`
    /// (`[delivery] log_retention_days`); returns how many.
    public func pruneLogs(attemptedBefore cutoff: Date, batch: Int = 500) throws -> Int {
        try write { txn in
            let old = try txn.reader.list(DeliveryLog.self, index: .byExpiry, below: ExpiryKey.of(cutoff), limit: batch)
            for log in old { _ = try txn.delete(DeliveryLog.self, id: log.id) }
            return old.count
        }
    }

    /// Removes up to `batch` spooled messages received before `cutoff` whose
    /// deliveries are all finished (the failed and dead ones were kept for
    /// their logs); returns how many.
    public func pruneFinishedMessages(receivedBefore cutoff: Date, batch: Int = 500) throws -> Int {
        try write { txn in try txn.removeFinishedMessages(receivedBefore: cutoff, limit: batch) }
    }

    /// Looks at up to `batch` delivered messages whose keep time
    /// (`[delivery] keep_delivered_hours`) ended by `now` and removes those
    /// nothing happened to since (`SpoolKeep`); returns the entries looked
    /// at and the messages removed.
    public func pruneKeptMessages(at now: Date, batch: Int = 500) throws -> (entries: Int, removed: Int) {
        try write { txn in try txn.removeExpiredKeptMessages(at: now, limit: batch) }
    }

    /// One log row of a webhook (`GET /webhooks/{id}/logs/{logId}`); another
    /// webhook's or account's row is not found.
    public func log(accountID: String, webhookID: String, logID: String) throws -> DeliveryLog {
        _ = try get(accountID: accountID, id: webhookID)
        guard let log = try store.read({ try $0.get(DeliveryLog.self, id: logID) }), log.webhookID == webhookID,
              log.accountID == accountID else { throw ResourceError.notFound }
        return log
    }

    /// One page of a webhook's delivery log, newest first (docs/API.md, "Delivery logs").
    /// The rows before the page are skipped as index entries, never read, so
    /// any page costs at most one cursor step per row before it plus the
    /// page's own rows; a page past the end stops where the log does.
    /// - Parameters: page from 1; pageSize 1…100 (the caller validates).
    public func logs(accountID: String, webhookID: String, page: Int, pageSize: Int) throws -> [DeliveryLog] {
        _ = try get(accountID: accountID, id: webhookID)
        guard page >= 1, pageSize >= 1 else { return [] }
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: pageSize)
        guard !overflow else { return [] }
        return try store.read { txn in
            try txn.list(DeliveryLog.self, index: .byWebhook, key: webhookID, newestFirst: true, offset: offset, limit: pageSize)
        }
    }

    // MARK: Rules needing the store

    /// The address's domain must be verified by this account, or public.
    /// A public domain is shared ground: its catch-all and `local+tag`
    /// addresses would take mail meant for other accounts' addresses (or for
    /// every unregistered one), so they are reserved there.
    static func checkDomain(of address: String, accountID: String, in txn: ReadTransaction) throws {
        let domainName = String(address.split(separator: "@").last ?? "")
        guard let domain = try txn.lookup(Domain.self, index: .byVerifiedName, key: domainName),
              domain.isPublic || domain.accountID == accountID
        else {
            throw ResourceError.invalid(code: "domain_not_verified", message: "\(domainName) is neither a domain you verified nor a public domain")
        }
        if domain.isPublic, isReservedOnPublicDomain(address) {
            throw ResourceError.invalid(
                code: "public_domain_reserved",
                message: "\(domainName) is a public domain: catch-all (*@) addresses and local parts with + are reserved there"
            )
        }
    }

    /// `*@domain`, or a local part containing `+` (the tag separator of
    /// recipient resolution).
    static func isReservedOnPublicDomain(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@") else { return false }
        let local = address[..<at]
        return local == "*" || local.contains("+")
    }

    /// A policy id must name one of the account's own policies.
    static func checkPolicy(_ id: String?, accountID: String, in txn: ReadTransaction) throws -> String? {
        guard let id else { return nil }
        guard Identifier(id) != nil, let policy = try txn.get(SMTPSecurityPolicy.self, id: id), policy.accountID == accountID else {
            throw ResourceError.invalid(code: "invalid_security_policy", message: "smtp_security_policy_id does not name one of your policies")
        }
        return policy.id
    }

    func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        do {
            return try store.write(body)
        } catch where StoreError.isStorageFull(error) {
            throw ResourceError.storageFull
        }
    }
}
