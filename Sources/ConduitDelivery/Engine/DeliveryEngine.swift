import ConduitCore
public import ConduitStore
import Foundation
public import Logging
import Metrics
public import ServiceLifecycle
import Synchronization

/// The delivering half of Conduit (Postfix's qmgr + an HTTP "transport"):
/// takes due deliveries from the spool, leases them, POSTs each to its
/// webhook, and records the outcome (docs/DELIVERY.md).
///
/// Durability: a lease is written (attempts + 1, `leasedUntil`) before the
/// POST and the outcome after it, each in its own transaction, so a crash
/// anywhere repeats at most the attempt that was running — at-least-once,
/// with the same `webhook-id`. On start every lease left by a dead process
/// is due again at once.
public final class DeliveryEngine: Service, Sendable {
    let store: Store
    let client: WebhookHTTPClient
    let settings: DeliverySettings
    let logger: Logger
    let state = Mutex(SchedulerState())
    let wake = WakeSignal()
    /// Claim passes and body reads run here, not on Swift's cooperative
    /// threads (an fsync would stall SMTP sessions); one at a time, which
    /// keeps claims consistent. Outcomes have their own writer thread.
    let io = BlockingWork(width: 1)
    let running = Mutex<[String: Task<AttemptReport?, Never>]>([:])
    /// Deliveries whose outcome the store had no room for, held back with
    /// an exponential backoff (see `UnrecordedBackoff`).
    let unrecorded = Mutex(UnrecordedBackoff())
    /// Outcomes are written in groups (one fsync for many POSTs).
    let outcomes: OutcomeWriter
    let metrics = DeliveryMetrics()
    /// Each webhook's fresh backlog, which new recipients of it wait on (the
    /// spool counts in, first leases count out).
    public let inflow: InflowControl
    /// Called once at start, after the leases of a dead process are due
    /// again: the spool is recovered (systemd's READY=1 waits for it).
    let onRecovered: @Sendable () -> Void

    public init(
        store: Store, client: WebhookHTTPClient, settings: DeliverySettings, logger: Logger,
        onRecovered: @escaping @Sendable () -> Void = {}
    ) {
        self.store = store
        self.client = client
        self.settings = settings
        self.logger = logger
        self.onRecovered = onRecovered
        self.inflow = InflowControl(settings: settings.inflow)
        self.outcomes = OutcomeWriter(store: store, recorder: DeliveryRecorder(schedule: settings.schedule, keepDelivered: settings.keepDelivered))
    }

    /// New mail is waiting that was not leased at spool time (the intake
    /// calls this after its commit).
    public func notifySpooled() {
        state.withLock { $0.claimWanted = true }
        wake.signal()
    }

    public func run() async throws {
        let recovered = try await io.run { try self.recoverLeases(now: Date()) }
        if recovered > 0 { logger.info("deliveries re-offered after restart", metadata: ["count": "\(recovered)"]) }
        onRecovered()
        await withGracefulShutdownHandler {
            await self.schedule()
        } onGracefulShutdown: {
            self.state.withLock { $0.stopping = true }
            self.wake.signal()
        }
        // Attempts still running are cancelled; their leases are re-offered on
        // the next start (the receiver may see that POST twice, by design).
        let tasks = running.withLock { Array($0.values) }
        for task in tasks { task.cancel() }
        for task in tasks { _ = await task.value }
        // Every attempt has returned, so nothing is queued: end the outcome
        // writer's thread before the store closes (off the cooperative pool,
        // since shutdown waits for the thread).
        let outcomes = outcomes
        _ = try? await io.run { outcomes.shutdown() }
        logger.info("delivery engine stopped", metadata: ["cancelled": "\(tasks.count)"])
    }

    static let minimumPassInterval: Duration = .milliseconds(2)

    /// The scheduling loop: claim what is due, start it, sleep until the
    /// next due time or a wake-up.
    private func schedule() async {
        var lastPass = ContinuousClock.now
        while !state.withLock({ $0.stopping }) {
            // Wake-ups come with every finished POST; passes at most every
            // 2 ms let one pass start what several of them freed.
            let since = ContinuousClock.now - lastPass
            if since < Self.minimumPassInterval { try? await Task.sleep(for: Self.minimumPassInterval - since) }
            lastPass = ContinuousClock.now
            let now = Date()
            var pause: Duration = .seconds(1)
            do {
                let pass = try await io.run { try self.claimDue(now: now) }
                let untilDue = pass.nextDue.map { Duration.milliseconds(Int64(max(0, $0.timeIntervalSince(Date())) * 1000)) } ?? .seconds(5)
                // Claimed something: look again soon (more may be due). Claimed
                // nothing: wait for the next due time, a finished attempt
                // (frees a slot) or new mail, but not in a tight loop.
                pause = pass.claims.isEmpty ? min(max(untilDue, .milliseconds(250)), .seconds(5)) : min(untilDue, .milliseconds(20))
                // Logged before its attempts start: an attempt's task may run
                // (and log) at once on another thread, and a reader of the log
                // (the endpoint-down campaign) takes the last pass line before
                // an attempt for the one that claimed it.
                logger.debug("delivery pass", metadata: ["claimed": "\(pass.claims.count)", "pause": "\(pause)"])
                for claim in pass.claims where start(claim) == nil { release([claim]) }
            } catch {
                logger.error("delivery scheduling failed", metadata: ["error": "\(error)"])
            }
            await wake.wait(timeout: pause)
        }
    }

    /// Runs one claimed attempt as its own task, tracked for shutdown;
    /// `nil` (not started, the lease stays for the next start) once shutdown
    /// has begun.
    @discardableResult
    func start(_ claim: DeliveryClaim) -> Task<AttemptReport?, Never>? {
        let id = claim.delivery.id
        // Created under the lock, so the task's own removal (which takes the
        // lock) cannot come before its insertion; and `run` takes the tasks
        // to cancel under it once `stopping` is set, so none starts after.
        return running.withLock { running in
            if state.withLock({ $0.stopping }) { return nil }
            let task = Task { () -> AttemptReport? in
                let report = await self.attempt(claim)
                let claimWanted = self.state.withLock { state in
                    state.finished(webhookID: claim.webhook.id)
                    return state.claimWanted
                }
                self.running.withLock { _ = $0.removeValue(forKey: id) }
                // The freed slot matters only to mail a pass must start; a
                // retry (or an outcome not written) changes the next due time.
                if claimWanted || !Self.isFinal(report) || self.unrecorded.withLock({ !$0.isEmpty }) { self.wake.signal() }
                return report
            }
            running[id] = task
            return task
        }
    }
}

extension DeliveryEngine {
    /// Delivered or failed for good: nothing of the delivery is due again.
    static func isFinal(_ report: AttemptReport?) -> Bool {
        switch report?.outcome {
        case .delivered, .failed: true
        case .retry, nil: false
        }
    }
}

/// Counters on `/metrics`.
struct DeliveryMetrics: Sendable {
    let delivered = Counter(label: "conduit_delivery_attempts_total", dimensions: [("outcome", "delivered")])
    let retried = Counter(label: "conduit_delivery_attempts_total", dimensions: [("outcome", "retry")])
    let failed = Counter(label: "conduit_delivery_attempts_total", dimensions: [("outcome", "failed")])
    let dead = Counter(label: "conduit_delivery_attempts_total", dimensions: [("outcome", "dead")])
    let duration = Timer(label: "conduit_delivery_duration_seconds")
}
