import ConduitIdentity
import Logging
import ServiceLifecycle

/// Periodically deletes expired sessions, challenges, reset and API tokens,
/// so the store does not grow with abandoned sign-ins.
struct ExpiryJanitor: Service {
    let identity: IdentityService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                var removed = 0
                // Bounded batches, so one pass never holds the writer lock for long.
                while true {
                    let batch = try identity.removeExpired(batch: 500)
                    removed += batch
                    if batch < 500 { break }
                }
                if removed > 0 { logger.info("expired identity records removed", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.error("expiry cleanup failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
