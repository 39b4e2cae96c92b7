public import ConduitStore
import ConduitCore
import Foundation
public import Logging

/// Schema version 2: SMTP AUTH user names become unique on the server
/// (`smtp_policies.by_username`). Stores from version 1 may hold one user
/// name in several policies, of several accounts; the oldest policy (ids are
/// time-ordered) keeps the name and every newer one loses that credential,
/// one warning per credential dropped. The policies themselves stay, with
/// their other credentials; a webhook whose policy requires AUTH and lost
/// its only credential refuses mail (530) until its owner sets a new name.
public enum PolicyUsernameMigration {
    /// Runs inside the store's opening transaction; returns how many
    /// credentials were dropped.
    @discardableResult
    public static func run(in txn: WriteTransaction, logger: Logger) throws -> Int {
        var owners: [String: String] = [:]
        var dropped = 0
        let now = PolicyService.now()
        for var policy in try txn.reader.scan(SMTPSecurityPolicy.self, newestFirst: false) {
            var kept: [SMTPCredential] = []
            for credential in policy.credentials {
                if let owner = owners[credential.username] {
                    dropped += 1
                    logger.warning("SMTP AUTH user name was in two policies: the newer one loses it", metadata: [
                        "user": "\(credential.username)", "kept_by": "\(owner)",
                        "policy": "\(policy.id)", "account": "\(policy.accountID)",
                    ])
                } else {
                    owners[credential.username] = policy.id
                    kept.append(credential)
                }
            }
            if kept.count != policy.credentials.count {
                policy.credentials = kept
                policy.updatedAt = now
                try txn.update(policy)
            }
        }
        try txn.buildIndex(SMTPSecurityPolicy.self, named: .byUsername)
        return dropped
    }
}
