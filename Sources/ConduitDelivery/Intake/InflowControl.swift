import Synchronization

/// Flow control between the SMTP intake and delivery (Postfix's
/// `in_flow_delay`, per webhook): counts each webhook's *fresh backlog* —
/// deliveries spooled by this process and not yet started — and, while it
/// is above `highWater`, makes a new recipient of that webhook wait (at
/// RCPT) until an attempt starts, for at most `maxDelay`.
///
/// Why: a sender can hand over mail faster than Conduit can POST it (one
/// core does both), and without this the spool backlog, the latency of
/// every message and the disk grow for as long as the burst lasts. Waiting
/// at the sender keeps the backlog near `highWater` and acceptance at the
/// delivery rate.
///
/// Only where Conduit is the bottleneck: a webhook whose own endpoint is
/// slow (its POSTs take `slowPost` or longer on average, or none has
/// answered yet) or that has a rate limit is never waited on — its mail waits in the spool, bounded by its
/// account's quota. Holding a RCPT holds the whole connection, and one
/// sender (a big provider) often carries mail for many tenants: a slow
/// tenant must not stall the others' mail on shared connections. A fast
/// webhook with a backlog means delivery as a whole (the core) is behind,
/// which every tenant shares, and then slowing intake is the fair answer.
/// `maxDelay` bounds every wait (the recipient is then accepted anyway), so
/// a miscount can cost latency, never mail.
///
/// Counting: `spooled` after a spool commit, `started` when a lease takes a
/// delivery for its first attempt. Mail spooled before a restart is not
/// counted (its first attempts only lower counts, never below zero). A
/// deleted webhook's count stays until the next start: one entry per
/// webhook, and nobody can be waiting on it (its address no longer resolves).
public final class InflowControl: Sendable {
    public struct Settings: Sendable, Equatable {
        /// Fresh deliveries one webhook may have waiting before new
        /// recipients of it wait; `[delivery] inflow_backlog`.
        public var highWater: Int
        /// The longest one recipient waits; `[delivery] inflow_delay_ms`.
        /// Zero turns flow control off.
        public var maxDelay: Duration
        /// A webhook whose POSTs take this long on average (an exponential
        /// moving average, 1/8 per attempt) is slow on its own account and
        /// never waited on; `[delivery] inflow_slow_post_ms`.
        public var slowPost: Duration

        public init(highWater: Int = 512, maxDelay: Duration = .seconds(1), slowPost: Duration = .milliseconds(100)) {
            self.highWater = max(1, highWater)
            self.maxDelay = maxDelay
            self.slowPost = slowPost
        }

        public static let off = Settings(maxDelay: .zero)
    }

    /// How a wait ended.
    public enum Admission: Sendable, Equatable {
        /// There was room at once.
        case immediate
        /// An attempt started and made room.
        case afterWait
        /// `maxDelay` passed first; admitted anyway.
        case timedOut
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Admission, Never>
        /// Ends the wait at `maxDelay`; cancelled when an attempt releases it first.
        var timer: Task<Void, Never>?
    }

    private struct State {
        var backlog: [String: Int] = [:]
        /// Average POST duration per webhook, in milliseconds.
        var postMs: [String: Double] = [:]
        /// Per webhook, in arrival order.
        var waiters: [String: [Waiter]] = [:]
        var nextWaiter: UInt64 = 0
    }

    public let settings: Settings
    private let state = Mutex(State())

    public init(settings: Settings) {
        self.settings = settings
    }

    /// Whether a new recipient of `webhookID` may pass without waiting.
    public func hasRoom(for webhookID: String) -> Bool {
        settings.maxDelay <= .zero || state.withLock { !mustWait(webhookID, in: $0) }
    }

    /// Above the mark, and known to be fast: a webhook none of whose POSTs
    /// has answered yet (its first ones may be slow ones still running) is
    /// not waited on.
    private func mustWait(_ webhookID: String, in state: State) -> Bool {
        guard (state.backlog[webhookID] ?? 0) >= settings.highWater, let average = state.postMs[webhookID] else { return false }
        return average < settings.slowPost / .milliseconds(1)
    }

    /// An attempt of `webhookID` got its answer (or none) after `durationMs`.
    public func posted(_ webhookID: String, durationMs: Int) {
        guard settings.maxDelay > .zero else { return }
        let released: [Waiter] = state.withLock { state in
            // Bounded: one entry per webhook that had an attempt; a store with
            // more webhooks than this starts the averages over.
            if state.postMs.count >= 100_000, state.postMs[webhookID] == nil { state.postMs.removeAll() }
            let previous = state.postMs[webhookID] ?? Double(durationMs)
            state.postMs[webhookID] = previous + (Double(durationMs) - previous) / 8
            // Turned slow: its waiting senders go on.
            guard !mustWait(webhookID, in: state), let queue = state.waiters.removeValue(forKey: webhookID) else { return [] }
            return queue
        }
        for waiter in released {
            waiter.timer?.cancel()
            waiter.continuation.resume(returning: .afterWait)
        }
    }

    /// The fresh backlog of `webhookID` (tests, metrics).
    public func backlog(of webhookID: String) -> Int {
        state.withLock { $0.backlog[webhookID] ?? 0 }
    }

    /// How many recipients of `webhookID` wait (tests).
    func waiting(for webhookID: String) -> Int {
        state.withLock { $0.waiters[webhookID]?.count ?? 0 }
    }

    /// Returns once `webhookID` has room, or after `maxDelay`.
    public func admit(_ webhookID: String) async -> Admission {
        guard settings.maxDelay > .zero else { return .immediate }
        let deadline = ContinuousClock.now + settings.maxDelay
        return await withCheckedContinuation { (continuation: CheckedContinuation<Admission, Never>) in
            let ticket: UInt64? = state.withLock { state in
                guard mustWait(webhookID, in: state) else { return nil }
                state.nextWaiter += 1
                state.waiters[webhookID, default: []].append(Waiter(id: state.nextWaiter, continuation: continuation))
                return state.nextWaiter
            }
            guard let ticket else { return continuation.resume(returning: .immediate) }
            let timer = Task { [self] in
                try? await Task.sleep(until: deadline)
                guard !Task.isCancelled else { return }
                self.expire(ticket, of: webhookID)
            }
            // Released already: the timer has nothing to do.
            let pending = state.withLock { state in
                guard let index = state.waiters[webhookID]?.firstIndex(where: { $0.id == ticket }) else { return false }
                state.waiters[webhookID]?[index].timer = timer
                return true
            }
            if !pending { timer.cancel() }
        }
    }

    /// `count` deliveries of `webhookID` were spooled and wait for a first attempt.
    public func spooled(_ webhookID: String, count: Int = 1) {
        guard settings.maxDelay > .zero, count > 0 else { return }
        state.withLock { $0.backlog[webhookID, default: 0] += count }
    }

    /// A delivery of `webhookID` counted by `spooled` was not spooled after
    /// all (the commit failed).
    public func withdrawn(_ webhookID: String) {
        started(webhookID)
    }

    /// A delivery of `webhookID` was leased for its first attempt: one
    /// waiting sender of that webhook may go on.
    public func started(_ webhookID: String) {
        guard settings.maxDelay > .zero else { return }
        let released: Waiter? = state.withLock { state in
            guard let count = state.backlog[webhookID] else { return nil }
            if count <= 1 {
                state.backlog[webhookID] = nil
            } else {
                state.backlog[webhookID] = count - 1
            }
            guard !mustWait(webhookID, in: state), var queue = state.waiters[webhookID], !queue.isEmpty else { return nil }
            let first = queue.removeFirst()
            state.waiters[webhookID] = queue.isEmpty ? nil : queue
            return first
        }
        released?.timer?.cancel()
        released?.continuation.resume(returning: .afterWait)
    }

    private func expire(_ id: UInt64, of webhookID: String) {
        let waiter: Waiter? = state.withLock { state in
            guard var queue = state.waiters[webhookID], let index = queue.firstIndex(where: { $0.id == id }) else { return nil }
            let waiter = queue.remove(at: index)
            state.waiters[webhookID] = queue.isEmpty ? nil : queue
            return waiter
        }
        waiter?.continuation.resume(returning: .timedOut)
    }
}
