import ConduitAPI
import ConduitStore
import Synchronization

/// Tracks what `/healthz` and systemd's READY=1 depend on: the store open
/// and both listeners bound; READY=1 also waits for the delivery engine to
/// have recovered the spool (leases of a dead process due again). Each
/// reports in as it gets there; `onReady` runs once, when the last one does.
final class Readiness: HealthReporting {
    private let store: Store
    private let state = Mutex<(api: Bool, smtp: Bool, spool: Bool)>((false, false, false))
    private let onReady: @Sendable () -> Void

    init(store: Store, onReady: @escaping @Sendable () -> Void) {
        self.store = store
        self.onReady = onReady
    }

    func apiListening(_ up: Bool) { update { $0.api = up } }
    func smtpListening(_ up: Bool) { update { $0.smtp = up } }
    func spoolRecovered() { update { $0.spool = true } }

    func currentHealth() -> HealthReport {
        let listeners = state.withLock { $0 }
        return HealthReport(store: store.isOpen, api: listeners.api, smtp: listeners.smtp)
    }

    private func update(_ change: (inout (api: Bool, smtp: Bool, spool: Bool)) -> Void) {
        let becameReady = state.withLock { value -> Bool in
            let before = value.api && value.smtp && value.spool
            change(&value)
            return !before && value.api && value.smtp && value.spool
        }
        if becameReady { onReady() }
    }
}
