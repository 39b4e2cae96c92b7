import ConduitIdentity
import ConduitWebhooks
import Foundation
import Logging
import ServiceLifecycle

/// Every `interval`: deletes expired sessions, challenges, reset and API
/// tokens (so the store does not grow with abandoned sign-ins) and
/// delivery-log rows older than `[delivery] log_retention_days`, spooled
/// messages that old with a failed or dead delivery (kept for their logs),
/// and delivered messages whose `keep_delivered_hours` ended.
struct ExpiryJanitor: Service {
    let identity: IdentityService
    let webhooks: WebhookService
    /// Read on every pass: `[delivery] log_retention_days` is live on reload.
    let logRetention: @Sendable () -> Duration
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let identityRemoved = drain("expired identity records") { try identity.removeExpired(batch: $0) }
            let cutoff = Date().addingTimeInterval(-Double(logRetention().components.seconds))
            let logsRemoved = drain("delivery-log rows") { try webhooks.pruneLogs(attemptedBefore: cutoff, batch: $0) }
            if identityRemoved > 0 { logger.info("expired identity records removed", metadata: ["count": "\(identityRemoved)"]) }
            let messagesRemoved = drain("finished spooled messages") { try webhooks.pruneFinishedMessages(receivedBefore: cutoff, batch: $0) }
            if messagesRemoved > 0 { logger.info("finished messages removed from the spool", metadata: ["count": "\(messagesRemoved)"]) }
            var keptRemoved = 0
            _ = drain("kept delivered messages") { batch in
                let pass = try webhooks.pruneKeptMessages(at: Date(), batch: batch)
                keptRemoved += pass.removed
                return pass.entries
            }
            if keptRemoved > 0 { logger.info("kept delivered messages removed from the spool", metadata: ["count": "\(keptRemoved)"]) }
            if logsRemoved > 0 { logger.info("old delivery-log rows removed", metadata: ["count": "\(logsRemoved)"]) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Runs `pass` in bounded batches until a batch comes back short, so one
    /// pass never holds the writer lock for long; returns the total.
    private func drain(_ what: String, _ pass: (Int) throws -> Int) -> Int {
        var removed = 0
        do {
            while true {
                let batch = try pass(500)
                removed += batch
                if batch < 500 { break }
            }
        } catch {
            logger.error("cleanup of \(what) failed", metadata: ["error": "\(error)"])
        }
        return removed
    }
}
