import ConduitCore
import ConduitSMTP
import ConduitStore
import Logging
import Metrics

/// The account storage quota at ingress (`[storage] account_quota_mb`): an
/// account whose spool charge (`SpoolUsage`) is full gets `452 4.2.2` for its
/// recipients; other accounts' recipients in the same transaction are not
/// affected. The spool writer checks the quota again inside its write
/// transaction, so concurrent sessions cannot overshoot it together.
extension IngressSession {
    /// `452 4.2.2` at RCPT when the account has no room left for even an
    /// empty message, or when a message of the size MAIL FROM declared
    /// would take it past its quota; `nil`
    /// when the recipient may be accepted (or the charge cannot be read: the
    /// check after DATA still holds).
    func quotaReply(for accountID: String, recipient: SMTPMailbox) -> SMTPReply? {
        guard let quota = backend.settings.accountQuotaBytes else { return nil }
        guard let usage = try? backend.store.read({ try $0.spoolUsage(accountID: accountID) }) else { return nil }
        // Any message costs at least the record overhead: an account with
        // less than that left is full.
        guard usage + SpoolUsage.charge(bodySize: declaredSize ?? 0) > quota else { return nil }
        logger.notice("recipient refused: account over its storage quota", metadata: [
            "rcpt": "\(recipient)", "account": "\(accountID)", "usage": "\(usage)", "quota": "\(quota)",
        ])
        return IngressRefusal.accountQuotaExceeded.reply(recipient: "\(recipient)")
    }

}

extension IngressParts {
    /// Splits recipients into those whose accounts can take a message of
    /// `size` bytes and those whose accounts it would take past the quota.
    func splitByQuota(_ recipients: [IngressSession.Recipient], size: Int) -> (within: [IngressSession.Recipient], over: [IngressSession.Recipient]) {
        guard let quota = backend.settings.accountQuotaBytes else { return (recipients, []) }
        let charge = SpoolUsage.charge(bodySize: size)
        let accounts = Set(recipients.map(\.webhook.accountID))
        let full: Set<String> = (try? backend.store.read { txn in
            Set(try accounts.filter { try txn.spoolUsage(accountID: $0) + charge > quota })
        }) ?? []
        return (recipients.filter { !full.contains($0.webhook.accountID) }, recipients.filter { full.contains($0.webhook.accountID) })
    }

    func noteQuotaRefusals(_ over: [IngressSession.Recipient], messageID: String) {
        guard !over.isEmpty else { return }
        backend.metrics.quotaRejected.increment(by: over.count)
        logger.notice("recipients refused after DATA: account over its storage quota", metadata: [
            "id": "\(messageID)", "rcpts": "\(over.map(\.rcptTo))", "accounts": "\(Set(over.map(\.webhook.accountID)).sorted())",
        ])
    }
}
