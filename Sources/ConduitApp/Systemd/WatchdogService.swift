import Glibc
import ServiceLifecycle

/// Pings systemd's watchdog (`WatchdogSec=`) from the cooperative thread
/// pool: a pool wedged by blocking work stops the pings, and systemd restarts
/// the service. Does nothing when no watchdog is armed.
struct WatchdogService: Service {
    let notifier: ServiceNotifier
    let interval: Duration?

    init(notifier: ServiceNotifier) {
        self.notifier = notifier
        self.interval = WatchdogInterval.from(
            usec: getenv("WATCHDOG_USEC").map { String(cString: $0) },
            pid: getenv("WATCHDOG_PID").map { String(cString: $0) },
            ownPID: getpid()
        )
    }

    func run() async throws {
        guard let interval else {
            try? await gracefulShutdown()
            return
        }
        // Until the group shuts down: cancellation ends the sleep.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                notifier.watchdog()
                try? await Task.sleep(for: interval)
            }
        }
    }
}
