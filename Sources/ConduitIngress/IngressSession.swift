import ConduitCore
import ConduitDelivery
import ConduitPolicy
import ConduitSMTP
import ConduitStore
import Foundation
import Logging
import Metrics
import NIOCore

/// One SMTP connection's ingress state: who authenticated, the transaction's
/// sender, its SPF check and its accepted recipients.
///
/// Confined to the connection's event loop (`eventLoop`): the SMTP server
/// makes every call there, one at a time, and waits for each answer. What
/// can be decided from memory and a read transaction (the common MAIL FROM
/// and RCPT TO) is answered during the call, with no task; work that must
/// wait (a check answering `.later`, AUTH's scrypt, DATA's spool write)
/// runs in a task on copies of what it needs, and its result comes back
/// through a future of `eventLoop`, whose callbacks update the state there.
///
/// `@unchecked Sendable`: the mutable state is only touched on `eventLoop`
/// (asserted on every entry point); the type is `Sendable` only so that
/// those future callbacks, which NIO runs on that same loop, may hold it.
final class IngressSession: SMTPBackendSession, IngressParts, @unchecked Sendable {
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
    let eventLoop: any EventLoop

    /// Policies whose credentials the client authenticated with.
    var authenticatedPolicyIDs: Set<String> = []
    var authUser: String?

    // The transaction.
    var context = SMTPTransactionContext(helo: "", tls: false, authUser: nil)
    /// MAIL FROM as `local@domain`, `""` for the null sender.
    var mailFrom = ""
    /// MAIL FROM's `SIZE=`, for the RCPT-time quota check.
    var declaredSize: Int?
    /// The transaction's SPF check: made at MAIL FROM, started at the first
    /// accepted recipient so its DNS lookups overlap the rest of the
    /// exchange, awaited at DATA (or by a policy's SPF rule).
    var spf: SPFLookup?
    var recipients: [Recipient] = []
    /// The connection-stage checks' decision, made at the first MAIL FROM
    /// and kept for the connection.
    var connectDecision: Objection?

    init(backend: IngressBackend, connection: SMTPConnectionInfo, eventLoop: any EventLoop, logger: Logger) {
        self.backend = backend
        self.connection = connection
        self.clientIP = IPAddress(connection.remoteIP)
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// scrypt runs in its own pool (`CredentialChecker`); the outcome is
    /// recorded back on the loop.
    func authenticate(username: String, password: String) -> SMTPBackendAnswer {
        eventLoop.assertInEventLoop()
        let (credentials, logger) = (backend.credentials, logger)
        let matched = eventLoop.makeFutureWithTask { try await credentials.policies(username: username, password: password) }
        return .pending(matched.map { matched in
            guard !matched.isEmpty else {
                logger.notice("SMTP AUTH failed", metadata: ["user": "\(username)"])
                return SMTPReply(535, "5.7.8", "Authentication credentials invalid")
            }
            self.authenticatedPolicyIDs = matched
            self.authUser = username
            return SMTPReply(235, "2.7.0", "Authentication successful")
        }.recover { error in
            logger.error("SMTP AUTH lookup failed", metadata: ["error": "\(error)"])
            return SMTPReply(454, "4.7.0", "Temporary authentication failure")
        })
    }

    /// STARTTLS completed: authentication from before TLS counts for nothing
    /// (RFC 3207 §4.2), nor does a transaction.
    func tlsStarted() {
        eventLoop.assertInEventLoop()
        authenticatedPolicyIDs = []
        authUser = nil
        spf?.cancel()
        spf = nil
        context = SMTPTransactionContext(helo: "", tls: true, authUser: nil)
        mailFrom = ""
        recipients = []
    }

    func mail(from sender: SMTPMailbox?, parameters: SMTPMailParameters, context: SMTPTransactionContext) -> SMTPBackendAnswer {
        eventLoop.assertInEventLoop()
        if let refusal = headroomRefusal(stage: "MAIL FROM", messageBytes: parameters.declaredSize) { return .reply(refusal) }
        // The protocol side says who is authenticated now; an AUTH it no
        // longer knows of (reset by STARTTLS) grants nothing here either.
        if context.authUser == nil {
            authenticatedPolicyIDs = []
            authUser = nil
        }
        self.context = context
        mailFrom = sender.map { "\($0.localPart)@\($0.domain)" } ?? ""
        declaredSize = parameters.declaredSize
        spf?.cancel()
        spf = makeSPFLookup()
        recipients = []
        return mailStageRefusal().then { refusal in
            guard let refusal else { return .now(SMTPReply(250, "2.1.0", "Sender OK")) }
            self.mailFrom = ""
            self.spf?.cancel()
            self.spf = nil
            return .now(refusal)
        }.answer
    }

    func rcpt(to recipient: SMTPMailbox) -> SMTPBackendAnswer {
        eventLoop.assertInEventLoop()
        let resolution: RecipientResolver.Resolution
        do {
            // A read transaction: no lock, no waiting on writers.
            resolution = try backend.store.read { txn in
                try RecipientResolver.resolve(localPart: recipient.localPart, domain: recipient.domain, in: txn)
            }
        } catch {
            logger.error("recipient lookup failed", metadata: ["error": "\(error)"])
            return .reply(IngressRefusal.lookupFailure.reply(recipient: nil))
        }
        switch resolution {
        case .unknown:
            backend.metrics.recipientsRejected.increment()
            return .reply(IngressRefusal.unknownRecipient.reply(recipient: "\(recipient)"))
        case .inactive:
            backend.metrics.recipientsRejected.increment()
            return .reply(IngressRefusal.mailboxDisabled.reply(recipient: "\(recipient)"))
        case let .found(webhook, policy, tag):
            let checked: Eventual<SMTPReply?> = policy.map { rcptStageRefusal($0, recipient: "\(recipient)") } ?? .now(nil)
            return checked.then { refusal in
                self.admit(recipient, webhook: webhook, policy: policy, tag: tag, refusal: refusal)
            }.answer
        }
    }

    /// RCPT TO after the checks: their refusal, or the quota's, or the
    /// recipient joins the transaction (after flow control, for a webhook
    /// new to it).
    private func admit(
        _ recipient: SMTPMailbox, webhook: Webhook, policy: SMTPSecurityPolicy?, tag: String?, refusal: SMTPReply?
    ) -> Eventual<SMTPReply> {
        if let refusal {
            backend.metrics.recipientsRejected.increment()
            return .now(refusal)
        }
        if let reply = quotaReply(for: webhook.accountID, recipient: recipient) {
            backend.metrics.recipientsRejected.increment()
            backend.metrics.quotaRejected.increment()
            return .now(reply)
        }
        guard !recipients.contains(where: { $0.webhook.id == webhook.id }) else { return .now(accepted()) }
        // Flow control: a recipient that adds a delivery waits while its
        // webhook's fresh backlog is above the high-water mark.
        return inflowAdmission(of: webhook).then { admission in
            switch admission {
            case .immediate: break
            case .afterWait: self.backend.metrics.inflowReleased.increment()
            case .timedOut: self.backend.metrics.inflowTimedOut.increment()
            }
            self.recipients.append(Recipient(rcptTo: Self.normalized(recipient), webhook: webhook, policy: policy, tag: tag))
            return .now(self.accepted())
        }
    }

    /// `.immediate` at once while the webhook has room (the common case);
    /// else the wait, in a task. A rate-limited webhook's backlog is its
    /// own choice: never waited on (`InflowControl`).
    private func inflowAdmission(of webhook: Webhook) -> Eventual<InflowControl.Admission> {
        let spool = backend.spool
        let webhookID = webhook.id
        guard webhook.rateLimit == 0, !spool.recipientHasRoom(of: webhookID) else { return .now(.immediate) }
        return .later(eventLoop.makeFutureWithTask { await spool.admitRecipient(of: webhookID) })
    }

    private func accepted() -> SMTPReply {
        // DATA will want the verdict: its DNS starts now, beside the exchange.
        transactionSPF().start()
        backend.metrics.recipientsAccepted.increment()
        return SMTPReply(250, "2.1.5", "Recipient OK")
    }

    /// End of DATA: the recipients and what is known of the transaction go
    /// to a task (`EndOfData`), which answers once the message is spooled.
    func data(_ message: SMTPMessage) -> SMTPBackendAnswer {
        eventLoop.assertInEventLoop()
        let endOfData = EndOfData(
            backend: backend, logger: logger, connection: connection, facts: transactionFacts(), context: context,
            recipients: recipients
        )
        recipients = []
        return .pending(eventLoop.makeFutureWithTask { await endOfData.finish(message) })
    }

    /// The transaction's SPF check (MAIL FROM, or HELO for the null sender),
    /// not yet started.
    func makeSPFLookup() -> SPFLookup {
        let (checker, mailFrom, helo) = (backend.spf, mailFrom, context.helo)
        guard let ip = clientIP else { return SPFLookup(finished: SPFVerdict(result: .none, domain: helo)) }
        return SPFLookup { await checker.check(ip: ip, mailFrom: mailFrom, helo: helo) }
    }

    func close() {
        eventLoop.assertInEventLoop()
        spf?.cancel()
    }

    /// Watches each message's text for DKIM and ARC as it arrives (on the event loop).
    func makeMessageObserver() -> (any SMTPMessageObserver)? {
        DKIMStreamObserver(hashesForARC: backend.settings.evaluateDMARC)
    }

    /// `local@domain` with the domain in A-labels when it is a valid name.
    static func normalized(_ mailbox: SMTPMailbox) -> String {
        let domain = (try? DomainName.normalize(mailbox.domain)) ?? mailbox.domain.lowercased()
        return "\(mailbox.localPart)@\(domain)"
    }
}
