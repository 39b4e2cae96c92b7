import ConduitCore
import ConduitDelivery
import ConduitPolicy
import ConduitSMTP
import ConduitStore
import Foundation
import Logging
import Metrics

/// One SMTP connection's ingress state: who authenticated, the transaction's
/// sender, its SPF verdict and its accepted recipients. The SMTP server calls
/// it one step at a time; being an actor keeps that honest.
actor IngressSession: SMTPBackendSession {
    /// A recipient accepted at RCPT, with what DATA needs to finish it.
    struct Recipient: Sendable {
        var rcptTo: String
        var webhook: Webhook
        var policy: SMTPSecurityPolicy?
        var tag: String?
    }

    let backend: IngressBackend
    let connection: SMTPConnectionInfo
    let clientIP: IPAddress?
    let logger: Logger

    /// Policies whose credentials the client authenticated with.
    var authenticatedPolicyIDs: Set<String> = []
    var authUser: String?

    // The transaction.
    var context = SMTPTransactionContext(helo: "", tls: false, authUser: nil)
    /// MAIL FROM as `local@domain`, `""` for the null sender.
    var mailFrom = ""
    /// MAIL FROM's `SIZE=`, for the RCPT-time quota check.
    var declaredSize: Int?
    /// The transaction's SPF check, started at MAIL FROM so its DNS lookups
    /// overlap the RCPT and DATA exchanges instead of delaying the reply.
    var spfCheck: Task<SPFVerdict, Never>?
    var recipients: [Recipient] = []
    /// The connection-stage checks' decision, made at the first MAIL FROM
    /// and kept for the connection.
    var connectDecision: (check: String, decision: CheckDecision)?

    init(backend: IngressBackend, connection: SMTPConnectionInfo, logger: Logger) {
        self.backend = backend
        self.connection = connection
        self.clientIP = IPAddress(connection.remoteIP)
        self.logger = logger
    }

    func authenticate(username: String, password: String) async -> SMTPReply {
        do {
            let matched = try await backend.credentials.policies(username: username, password: password)
            guard !matched.isEmpty else {
                logger.notice("SMTP AUTH failed", metadata: ["user": "\(username)"])
                return SMTPReply(535, "5.7.8", "Authentication credentials invalid")
            }
            authenticatedPolicyIDs = matched
            authUser = username
            return SMTPReply(235, "2.7.0", "Authentication successful")
        } catch {
            logger.error("SMTP AUTH lookup failed", metadata: ["error": "\(error)"])
            return SMTPReply(454, "4.7.0", "Temporary authentication failure")
        }
    }

    /// STARTTLS completed: authentication from before TLS counts for nothing
    /// (RFC 3207 §4.2), nor does a transaction.
    func tlsStarted() async {
        authenticatedPolicyIDs = []
        authUser = nil
        spfCheck?.cancel()
        spfCheck = nil
        context = SMTPTransactionContext(helo: "", tls: true, authUser: nil)
        mailFrom = ""
        recipients = []
    }

    func mail(from sender: SMTPMailbox?, parameters: SMTPMailParameters, context: SMTPTransactionContext) async -> SMTPReply {
        if let refusal = headroomRefusal(stage: "MAIL FROM") { return refusal }
        // The protocol side says who is authenticated now; an AUTH it no
        // longer knows of (reset by STARTTLS) grants nothing here either.
        if context.authUser == nil {
            authenticatedPolicyIDs = []
            authUser = nil
        }
        self.context = context
        mailFrom = sender.map { "\($0.localPart)@\($0.domain)" } ?? ""
        declaredSize = parameters.declaredSize
        spfCheck?.cancel()
        spfCheck = startSPFCheck()
        recipients = []
        if let refusal = await mailStageRefusal() {
            mailFrom = ""
            spfCheck?.cancel()
            spfCheck = nil
            return refusal
        }
        return SMTPReply(250, "2.1.0", "Sender OK")
    }

    func rcpt(to recipient: SMTPMailbox) async -> SMTPReply {
        let resolution: RecipientResolver.Resolution
        do {
            resolution = try backend.store.read { txn in
                try RecipientResolver.resolve(localPart: recipient.localPart, domain: recipient.domain, in: txn)
            }
        } catch {
            logger.error("recipient lookup failed", metadata: ["error": "\(error)"])
            return IngressRefusal.lookupFailure.reply(recipient: nil)
        }
        switch resolution {
        case .unknown:
            backend.metrics.recipientsRejected.increment()
            return IngressRefusal.unknownRecipient.reply(recipient: "\(recipient)")
        case .inactive:
            backend.metrics.recipientsRejected.increment()
            return IngressRefusal.mailboxDisabled.reply(recipient: "\(recipient)")
        case let .found(webhook, policy, tag):
            if let policy, let reply = await rcptStageRefusal(policy, recipient: "\(recipient)") {
                backend.metrics.recipientsRejected.increment()
                return reply
            }
            if let reply = quotaReply(for: webhook.accountID, recipient: recipient) {
                backend.metrics.recipientsRejected.increment()
                backend.metrics.quotaRejected.increment()
                return reply
            }
            if !recipients.contains(where: { $0.webhook.id == webhook.id }) {
                // Flow control: a recipient that adds a delivery waits while
                // its webhook's fresh backlog is above the high-water mark.
                switch await backend.spool.admitRecipient(of: webhook.id) {
                case .immediate: break
                case .afterWait: backend.metrics.inflowReleased.increment()
                case .timedOut: backend.metrics.inflowTimedOut.increment()
                }
                recipients.append(Recipient(rcptTo: Self.normalized(recipient), webhook: webhook, policy: policy, tag: tag))
            }
            backend.metrics.recipientsAccepted.increment()
            return SMTPReply(250, "2.1.5", "Recipient OK")
        }
    }

    /// The transaction's SPF verdict (MAIL FROM, or HELO for the null
    /// sender), computed once per transaction.
    func spf() async -> SPFVerdict {
        let check = spfCheck ?? startSPFCheck()
        spfCheck = check
        return await check.value
    }

    func startSPFCheck() -> Task<SPFVerdict, Never> {
        let (checker, ip, mailFrom, helo) = (backend.spf, clientIP, mailFrom, context.helo)
        return Task {
            guard let ip else { return SPFVerdict(result: .none, domain: helo) }
            return await checker.check(ip: ip, mailFrom: mailFrom, helo: helo)
        }
    }

    func close() async {
        spfCheck?.cancel()
    }

    /// `local@domain` with the domain in A-labels when it is a valid name.
    static func normalized(_ mailbox: SMTPMailbox) -> String {
        let domain = (try? DomainName.normalize(mailbox.domain)) ?? mailbox.domain.lowercased()
        return "\(mailbox.localPart)@\(domain)"
    }
}
