import ConduitPolicy
import Synchronization

/// One transaction's SPF check: evaluated at most once, and only when asked
/// for, so a transaction that never reaches DATA or an SPF rule costs no
/// task. `start()` begins it early (at the first accepted recipient) so its
/// DNS lookups overlap the rest of the exchange.
final class SPFLookup: Sendable {
    private enum State {
        case idle(@Sendable () async -> SPFVerdict)
        case running(Task<SPFVerdict, Never>)
        case finished(SPFVerdict)
    }

    private let state: Mutex<State>

    /// A check that runs `evaluate` when first needed.
    init(evaluate: @escaping @Sendable () async -> SPFVerdict) {
        state = Mutex(.idle(evaluate))
    }

    /// A verdict known without a lookup (no client address; tests).
    init(finished verdict: SPFVerdict) {
        state = Mutex(.finished(verdict))
    }

    /// The verdict if the check has finished.
    var finished: SPFVerdict? {
        state.withLock { state in
            if case let .finished(verdict) = state { verdict } else { nil }
        }
    }

    /// Starts the check in a task unless it has started.
    func start() {
        _ = task()
    }

    /// The verdict, starting the check if need be.
    func verdict() async -> SPFVerdict {
        if let finished { return finished }
        guard let task = task() else { return finished ?? SPFVerdict(result: .temperror, domain: "") }
        return await task.value
    }

    /// Stops a running check (a new transaction, STARTTLS, the connection gone).
    func cancel() {
        if case let .running(task) = state.withLock({ $0 }) { task.cancel() }
    }

    /// The running task; `nil` once the verdict is known.
    private func task() -> Task<SPFVerdict, Never>? {
        state.withLock { state -> Task<SPFVerdict, Never>? in
            switch state {
            case let .idle(evaluate):
                // The task only takes the lock after this returns: no deadlock.
                let task = Task { [self] in
                    let verdict = await evaluate()
                    self.state.withLock { $0 = .finished(verdict) }
                    return verdict
                }
                state = .running(task)
                return task
            case let .running(task):
                return task
            case .finished:
                return nil
            }
        }
    }
}
