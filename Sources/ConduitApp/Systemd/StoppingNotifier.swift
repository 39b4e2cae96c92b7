import ServiceLifecycle

/// Sends `STOPPING=1` the moment graceful shutdown begins. Listed last in the
/// service group, so it is the first service shut down (the group stops
/// services in reverse order) and systemd hears about it before the
/// listeners drain.
struct StoppingNotifier: Service {
    let notifier: ServiceNotifier

    func run() async throws {
        try? await gracefulShutdown()
        notifier.stopping(status: "Stopping: draining connections")
    }
}
