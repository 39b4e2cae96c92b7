import ConduitCore
import ConduitPolicy
import ConduitSMTP
import ConduitStore
import Foundation
import Glibc
import Logging
import Metrics
import NIOCore

extension IngressSession {
    /// Watches each message's text for DKIM as it arrives (on the event loop).
    nonisolated func makeMessageObserver() -> (any SMTPMessageObserver)? {
        DKIMStreamObserver()
    }

    /// End of DATA: the checks' end-of-DATA stage per recipient (DKIM), then
    /// one spool commit of the message, its deliveries and the log rows of
    /// the recipients the checks turned away.
    func data(_ message: SMTPMessage) async -> SMTPReply {
        defer { recipients = [] }
        let receivedAt = Date()
        let spf = await spf()
        let dkim = await dkimVerdicts(message, now: receivedAt)

        var accepted: [Recipient] = []
        var refused: [(Recipient, String)] = []
        var firstRefusal: CheckReason?
        let facts = MessageFacts(transaction: transactionFacts(), dkim: dkim)
        for recipient in recipients {
            guard let policy = recipient.policy, let (check, decision) = await endOfDataDecision(policy, facts) else {
                accepted.append(recipient)
                continue
            }
            switch decision {
            case .accept:
                accepted.append(recipient)
            case let .defer(reason):
                logger.info("message deferred by a check", metadata: ["check": "\(check)", "rcpt": "\(recipient.rcptTo)", "reason": "\(reason.detail)"])
                return IngressRefusal.check(reason).reply(recipient: nil)
            case let .reject(reason):
                refused.append((recipient, reason.detail))
                firstRefusal = firstRefusal ?? reason
            }
        }

        if accepted.isEmpty {
            // Nothing to deliver: only the log rows saying why.
            do {
                try backend.store.write { txn in for log in dkimLogs(refused, messageID: message.id, message: message, at: receivedAt) { try txn.insert(log) } }
            } catch {
                return storageFailure(error, messageID: message.id)
            }
            return IngressRefusal.check(firstRefusal ?? CheckReason(.dkimFailed, "")).reply(recipient: nil)
        }
        if !refused.isEmpty {
            backend.metrics.dkimRejected.increment(by: refused.count)
            logger.info("recipients refused at end of DATA", metadata: [
                "id": "\(message.id)", "rcpts": "\(refused.map(\.0.rcptTo))", "reasons": "\(refused.map(\.1))",
            ])
        }

        // Re-checked here: the store may have filled since MAIL FROM.
        if let refusal = headroomRefusal(stage: "end of DATA") { return refusal }
        var (within, over) = splitByQuota(accepted, size: message.content.count)
        var committed = false
        // A second round only when a concurrent session filled an account
        // between the check above and the spool writer's own check.
        for _ in 0..<2 where !committed {
            noteQuotaRefusals(over, messageID: message.id)
            guard !within.isEmpty else { return IngressRefusal.accountQuotaExceeded.reply(recipient: nil) }
            do {
                try await backend.spool.commit(spoolEntry(
                    for: within, refused: refused, message: message, spf: spf, dkim: dkim, receivedAt: receivedAt
                ))
                committed = true
            } catch let StoreError.quotaExceeded(accountIDs) {
                over = within.filter { accountIDs.contains($0.webhook.accountID) }
                within = within.filter { !accountIDs.contains($0.webhook.accountID) }
            } catch {
                return storageFailure(error, messageID: message.id)
            }
        }
        guard committed else { return IngressRefusal.accountQuotaExceeded.reply(recipient: nil) }
        accepted = within
        FaultInjection.point("after-spool-commit")
        backend.metrics.accepted.increment()
        backend.metrics.acceptedBytes.increment(by: message.content.count)
        logger.info("message spooled", metadata: [
            "id": "\(message.id)", "from": "\(mailFrom)", "rcpts": "\(accepted.map(\.rcptTo))",
            "size": "\(message.content.count)", "spilled": "\(message.content.spilledBytes)", "spf": "\(spf.result.rawValue)",
        ])
        switch await backend.afterSpool(message.id) {
        case .accept:
            return SMTPReply(250, "2.0.0", "OK queued as \(message.id)")
        case let .reject(reason):
            let oneLine = String(reason.map { $0.isNewline ? " " : $0 }.prefix(200))
            logger.info("message refused by the webhook", metadata: ["id": "\(message.id)", "reason": "\(oneLine)"])
            return SMTPReply(550, "5.0.0", "The webhook refused the message: \(oneLine)")
        }
    }

    /// Every DKIM verdict: from the header block and the body hashes the
    /// `DKIMStreamObserver` computed while DATA arrived, so the body is not
    /// read again. A message that reached us whole, unobserved (tests), is
    /// hashed here from memory.
    private func dkimVerdicts(_ message: SMTPMessage, now: Date) async -> [DKIMVerdict] {
        let content = message.content
        guard HeaderSection.value(named: "DKIM-Signature", in: content.headerBlock) != nil else { return [] }
        let headerBlock = Array(content.headerBlock)
        if let observed = message.observation as? DKIMObservation {
            return await backend.dkim.verify(
                headerBlock: headerBlock, bodyHashes: observed.bodyHashes ?? DKIMBodyHashes(),
                headerBlockComplete: content.headerBlockComplete, now: now
            )
        }
        guard !content.isSpilled, let whole = try? content.bytes() else {
            return await backend.dkim.verify(headerBlock: headerBlock, bodyHashes: DKIMBodyHashes(), headerBlockComplete: false, now: now)
        }
        return await backend.dkim.verify(message: whole, now: now)
    }

    /// The message, its body, one delivery per recipient in `accepted` and
    /// the log rows of the recipients DKIM turned away: one spool commit.
    private func spoolEntry(
        for accepted: [Recipient], refused: [(Recipient, String)], message: SMTPMessage, spf: SPFVerdict,
        dkim: [DKIMVerdict], receivedAt: Date
    ) -> SpoolEntry {
        let spooled = SpooledMessage(
            id: message.id,
            receivedAt: receivedAt,
            mailFrom: mailFrom,
            remoteIP: connection.remoteIP,
            helo: context.helo,
            tls: context.tls,
            authUser: context.authUser,
            spf: SpooledSPF(result: spf.result.rawValue, domain: spf.domain.isEmpty ? nil : spf.domain),
            dkim: dkim.map { SpooledDKIM(domain: $0.domain, selector: $0.selector, result: $0.result.rawValue) },
            size: message.content.count,
            recipients: accepted.map {
                SpooledRecipient(rcptTo: $0.rcptTo, webhookID: $0.webhook.id, accountID: $0.webhook.accountID, tag: $0.tag)
            }
        )
        let firstAttempt = receivedAt.addingTimeInterval(backend.settings.firstAttemptDelay)
        let deliveries = accepted.map { recipient in
            Delivery(
                id: Identifier.generate().rawValue, messageID: message.id, webhookID: recipient.webhook.id,
                accountID: recipient.webhook.accountID, rcptTo: recipient.rcptTo, tag: recipient.tag,
                state: .pending, attempts: 0, nextAttemptAt: firstAttempt, createdAt: receivedAt, updatedAt: receivedAt
            )
        }
        return SpoolEntry(
            message: spooled, body: MessageBody(content: message.content), deliveries: deliveries,
            logs: dkimLogs(refused, messageID: message.id, message: message, at: receivedAt),
            accountQuotaBytes: backend.settings.accountQuotaBytes
        )
    }

    /// A log row per recipient DKIM turned away.
    private func dkimLogs(_ refused: [(Recipient, String)], messageID: String, message: SMTPMessage, at receivedAt: Date) -> [DeliveryLog] {
        let smtpMessageID = HeaderSection.value(named: "Message-ID", in: message.content.headerBlock).flatMap { $0.isEmpty ? nil : $0 }
        return refused.map { recipient, reason in
            DeliveryLog(
                id: Identifier.generate().rawValue, webhookID: recipient.webhook.id, accountID: recipient.webhook.accountID,
                deliveryID: nil, messageID: messageID, smtpMessageID: smtpMessageID, sender: mailFrom,
                attemptedAt: receivedAt, durationMs: 0, httpStatus: nil,
                error: "not delivered: \(reason)", simulated: false
            )
        }
    }

    /// `452 4.3.1` when the store is out of space (map or disk), `451` for any other failure.
    private func storageFailure(_ error: any Error, messageID: String) -> SMTPReply {
        backend.metrics.spoolFailures.increment()
        logger.error("spool commit failed", metadata: ["id": "\(messageID)", "error": "\(error)"])
        return (StoreError.isStorageFull(error) ? IngressRefusal.storageFull : .storageFailure).reply(recipient: nil)
    }
}

/// Crash points for durability tests: with `CONDUIT_FAULT=<name>` in the
/// environment the process kills itself (SIGKILL, no cleanup) when it
/// reaches the point of that name. Unset in production: one getenv per call.
enum FaultInjection {
    static let armed = ProcessInfo.processInfo.environment["CONDUIT_FAULT"]

    static func point(_ name: String) {
        guard let armed, armed == name else { return }
        kill(getpid(), SIGKILL)
    }
}
