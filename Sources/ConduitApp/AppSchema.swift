import ConduitCore
import ConduitIdentity
import ConduitStore

/// The store layout this build writes. Record types join as their features
/// land; each change to an existing type's layout bumps `version` and adds a
/// migration (docs/ARCHITECTURE.md, "Storage layout").
enum AppSchema {
    static let current = Schema(version: 1, records: IdentityService.recordTypes + [Domain.self, SMTPSecurityPolicy.self, Webhook.self])
}
