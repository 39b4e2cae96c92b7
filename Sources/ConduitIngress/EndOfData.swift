import ConduitCore
import ConduitDelivery
import ConduitPolicy
import ConduitSMTP
import ConduitStore
import Foundation
import Logging
import Metrics
import NIOCore

/// A transaction's end of DATA, off the event loop: what the session knew
/// when the message arrived, copied, so the task shares no state with it.
struct EndOfData: IngressParts, Sendable {
    let backend: IngressBackend
    let logger: Logger
    let connection: SMTPConnectionInfo
    /// The transaction as the checks see it, with its SPF check.
    let facts: TransactionFacts
    let context: SMTPTransactionContext
    let recipients: [IngressSession.Recipient]

    var mailFrom: String { facts.mailFrom }

    /// The checks' end-of-DATA stage per recipient (DKIM, DMARC), then the
    /// message goes to the spool (`MessageSpool`, delivery's side) with the
    /// recipients the checks turned away; its verdict and errors become the
    /// reply.
    func finish(_ message: SMTPMessage) async -> SMTPReply {
        let receivedAt = Date()
        let spf = await facts.spf()
        let auth = await MessageAuthentication.evaluate(message, spf: spf, backend: backend, now: receivedAt)

        var accepted: [IngressSession.Recipient] = []
        var refused: [(IngressSession.Recipient, String)] = []
        var refusedByDMARC = 0
        var firstRefusal: CheckReason?
        let facts = MessageFacts(transaction: facts, dkim: auth.dkim, dmarc: auth.dmarc, arc: auth.arc)
        for recipient in recipients {
            guard let policy = recipient.policy, let objection = await endOfDataDecision(policy, facts) else {
                accepted.append(recipient)
                continue
            }
            let check = objection.check
            switch objection.decision {
            case .accept:
                accepted.append(recipient)
            case let .defer(reason):
                logger.info("message deferred by a check", metadata: ["check": "\(check)", "rcpt": "\(recipient.rcptTo)", "reason": "\(reason.detail)"])
                return IngressRefusal.check(reason).reply(recipient: nil)
            case let .reject(reason):
                refused.append((recipient, reason.detail))
                if reason.kind == .dmarcFailed { refusedByDMARC += 1 }
                firstRefusal = firstRefusal ?? reason
            }
        }

        if accepted.isEmpty {
            // Nothing to deliver: only the log rows saying why.
            do {
                try await backend.spool.recordRefusals(of: submission(
                    for: [], refused: refused, message: message, spf: spf, auth: auth, receivedAt: receivedAt
                ))
            } catch {
                return storageFailure(error, messageID: message.id)
            }
            return IngressRefusal.check(firstRefusal ?? CheckReason(.dkimFailed, "")).reply(recipient: nil)
        }
        if !refused.isEmpty {
            if refusedByDMARC > 0 { backend.metrics.dmarcRejected.increment(by: refusedByDMARC) }
            if refused.count > refusedByDMARC { backend.metrics.dkimRejected.increment(by: refused.count - refusedByDMARC) }
            logger.info("recipients refused at end of DATA", metadata: [
                "id": "\(message.id)", "rcpts": "\(refused.map(\.0.rcptTo))", "reasons": "\(refused.map(\.1))",
            ])
        }

        // Re-checked here, with the message's size: the store may have filled
        // since MAIL FROM, and this message must leave the reserve free too.
        if let refusal = headroomRefusal(stage: "end of DATA", messageBytes: message.content.count, admitting: true) { return refusal }
        var (within, over) = splitByQuota(accepted, size: message.content.count)
        var verdict: SpoolVerdict?
        // A second round only when a concurrent session filled an account
        // between the check above and the spool writer's own check.
        for _ in 0..<2 where verdict == nil {
            noteQuotaRefusals(over, messageID: message.id)
            guard !within.isEmpty else { return IngressRefusal.accountQuotaExceeded.reply(recipient: nil) }
            do {
                // Returns once the message is fsynced and, with an inline
                // timeout, after the first attempt (docs/DELIVERY.md).
                verdict = try await backend.spool.accept(submission(
                    for: within, refused: refused, message: message, spf: spf, auth: auth, receivedAt: receivedAt
                ))
            } catch let StoreError.quotaExceeded(accountIDs) {
                over = within.filter { accountIDs.contains($0.webhook.accountID) }
                within = within.filter { !accountIDs.contains($0.webhook.accountID) }
            } catch {
                return storageFailure(error, messageID: message.id)
            }
        }
        guard let verdict else { return IngressRefusal.accountQuotaExceeded.reply(recipient: nil) }
        backend.metrics.accepted.increment()
        backend.metrics.acceptedBytes.increment(by: message.content.count)
        logger.info("message spooled", metadata: [
            "id": "\(message.id)", "from": "\(mailFrom)", "rcpts": "\(within.map(\.rcptTo))",
            "size": "\(message.content.count)", "spilled": "\(message.content.spilledBytes)", "spf": "\(spf.result.rawValue)",
            "dmarc": "\(auth.dmarc?.result.rawValue ?? "-")", "arc": "\(auth.arc?.result.rawValue ?? "-")",
        ])
        switch verdict {
        case .accepted:
            return SMTPReply(250, "2.0.0", "OK queued as \(message.id)")
        case let .rejected(_, reason):
            let oneLine = String(reason.map { $0.isNewline ? " " : $0 }.prefix(200))
            logger.info("message refused by the webhook", metadata: ["id": "\(message.id)", "reason": "\(oneLine)"])
            return SMTPReply(550, "5.0.0", "The webhook refused the message: \(oneLine)")
        }
    }

    /// What the spool is handed: the envelope and check results, the
    /// recipients in `accepted`, those the checks turned away with the reason, the body.
    private func submission(
        for accepted: [IngressSession.Recipient], refused: [(IngressSession.Recipient, String)], message: SMTPMessage, spf: SPFVerdict,
        auth: MessageAuthentication, receivedAt: Date
    ) -> SpoolSubmission {
        typealias Recipient = IngressSession.Recipient
        func spooled(_ recipient: Recipient) -> SpooledRecipient {
            SpooledRecipient(rcptTo: recipient.rcptTo, webhookID: recipient.webhook.id, accountID: recipient.webhook.accountID, tag: recipient.tag)
        }
        return SpoolSubmission(
            id: message.id, receivedAt: receivedAt, mailFrom: mailFrom, remoteIP: connection.remoteIP,
            helo: context.helo, tls: context.tls, authUser: context.authUser,
            spf: SpooledSPF(result: spf.result.rawValue, domain: spf.domain.isEmpty ? nil : spf.domain),
            dkim: auth.dkim.map { SpooledDKIM(domain: $0.domain, selector: $0.selector, result: $0.result.rawValue) },
            smtpMessageID: refused.isEmpty ? nil : HeaderSection.value(named: "Message-ID", in: message.content.headerBlock).flatMap { $0.isEmpty ? nil : $0 },
            recipients: accepted.map(spooled),
            refused: refused.map { SpoolSubmission.Refusal(recipient: spooled($0.0), reason: $0.1) },
            body: MessageBody(content: message.content),
            dmarc: auth.dmarc.map {
                SpooledDMARC(result: $0.result.rawValue, domain: $0.authorDomain, policy: $0.policy.rawValue, spfAligned: $0.spfAligned,
                             dkimAligned: $0.dkimAligned, organizationalDomain: $0.organizationalDomain)
            },
            arc: auth.arc.map { SpooledARC(result: $0.result.rawValue, instances: $0.instances) },
            authservID: backend.settings.hostname
        )
    }

    /// `452 4.3.1` when the store is out of space (map or disk), `451` for any other failure.
    private func storageFailure(_ error: any Error, messageID: String) -> SMTPReply {
        backend.metrics.spoolFailures.increment()
        logger.error("spool commit failed", metadata: ["id": "\(messageID)", "error": "\(error)"])
        return (StoreError.isStorageFull(error) ? IngressRefusal.storageFull : .storageFailure).reply(recipient: nil)
    }
}
