import ConduitAPI
import ConduitStore
import Synchronization

/// Tracks what `/healthz` (and, later, systemd's READY=1) depends on: the
/// store open and both listeners bound. Listeners report in as they bind.
final class Readiness: HealthReporting {
    private let store: Store
    private let state = Mutex<(api: Bool, smtp: Bool)>((false, false))
    private let onReady: @Sendable () -> Void

    init(store: Store, onReady: @escaping @Sendable () -> Void) {
        self.store = store
        self.onReady = onReady
    }

    func apiListening(_ up: Bool) { update { $0.api = up } }
    func smtpListening(_ up: Bool) { update { $0.smtp = up } }

    func currentHealth() -> HealthReport {
        let listeners = state.withLock { $0 }
        return HealthReport(store: store.isOpen, api: listeners.api, smtp: listeners.smtp)
    }

    private func update(_ change: (inout (api: Bool, smtp: Bool)) -> Void) {
        let becameReady = state.withLock { value -> Bool in
            let before = value.api && value.smtp
            change(&value)
            return !before && value.api && value.smtp
        }
        if becameReady { onReady() }
    }
}
