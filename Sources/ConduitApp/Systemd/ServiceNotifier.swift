import CDispatch  // Glibc's timespec members resolve here under MemberImportVisibility
import Glibc
public import Logging

/// What the service tells systemd, in sd_notify(3)'s words. Without
/// `$NOTIFY_SOCKET` (a terminal, the integration tests) every call is a
/// no-op, so the server code never asks whether it runs under systemd.
public struct ServiceNotifier: Sendable {
    let socket: NotifySocket?
    let logger: Logger

    public init(socket: NotifySocket? = NotifySocket.fromEnvironment(), logger: Logger) {
        self.socket = socket
        self.logger = logger
    }

    /// The store is open and both listeners are bound (or a reload ended).
    public func ready(status: String) { send(["READY=1", Self.status(status)]) }

    /// A free-form line `systemctl status` shows.
    public func status(_ text: String) { send([Self.status(text)]) }

    /// A reload began; `READY=1` ends it. `MONOTONIC_USEC` lets systemd ≥ 253
    /// tell this reload from an earlier one (`Type=notify-reload`).
    public func reloading(status: String) {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", Self.status(status)])
    }

    /// Shutdown began: systemd shows "deactivating" instead of a failure.
    public func stopping(status: String) { send(["STOPPING=1", Self.status(status)]) }

    /// Keep-alive for `WatchdogSec=`.
    public func watchdog() { send(["WATCHDOG=1"]) }

    private func send(_ assignments: [String]) {
        guard let socket else { return }
        if !socket.send(assignments.joined(separator: "\n")) {
            // Debug only: a vanished manager (e.g. during its own re-exec) is
            // not the daemon's problem, and a watchdog would repeat it forever.
            logger.debug("sd_notify not delivered", metadata: ["socket": "\(socket.path)", "message": "\(assignments.first ?? "")"])
        }
    }

    /// One line: a newline would start a new assignment.
    static func status(_ text: String) -> String {
        "STATUS=" + text.map { $0.isNewline ? " " : String($0) }.joined()
    }

    static func monotonicMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
    }
}
