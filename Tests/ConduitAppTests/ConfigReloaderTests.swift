import Glibc
import Logging
import Synchronization
import Testing
@testable import ConduitApp

/// The reload itself, called directly (no signal): file → plan → live settings.
@Suite struct ConfigReloaderTests {
    private func write(_ text: String) -> String {
        let path = "/tmp/conduit-reload-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).toml"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = Array(text.utf8).withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        return path
    }

    /// What the reloader asked the store to sync, call by call.
    final class Synced: Sendable {
        let calls = Mutex<[[String]]>([])
    }

    private func reloader(path: String, live: LiveSettings, synced: Synced) -> ConfigReloader {
        ConfigReloader(
            path: path, initial: ConduitConfig(), live: live, tls: nil,
            syncPublicDomains: { domains in synced.calls.withLock { $0.append(domains) } },
            notifier: ServiceNotifier(socket: nil, logger: Logger(label: "test")),
            readyStatus: { "Ready" }, logger: Logger(label: "test")
        )
    }

    @Test func appliesLiveKeysAndKeepsTheRest() throws {
        let path = write("""
            [log]
            level = "debug"
            [smtp]
            public_domains = ["example.org"]
            listen = "127.0.0.1:2525"
            [delivery]
            log_retention_days = 7
            """)
        defer { unlink(path) }
        let live = LiveSettings(config: ConduitConfig())
        let synced = Synced()
        let running = reloader(path: path, live: live, synced: synced).reload(running: ConduitConfig())
        #expect(live.logLevel == .debug)
        #expect(live.logRetentionDays == 7)
        #expect(synced.calls.withLock { $0 } == [["example.org"]])
        #expect(running.smtp.listen == ConduitConfig().smtp.listen, "listen addresses need a restart")
        #expect(running.log.level == .debug)
    }

    @Test func anInvalidFileChangesNothing() throws {
        let path = write("[log]\nlevel = \"loud\"\n")
        defer { unlink(path) }
        let live = LiveSettings(config: ConduitConfig())
        let synced = Synced()
        let running = reloader(path: path, live: live, synced: synced).reload(running: ConduitConfig())
        #expect(running == ConduitConfig())
        #expect(live.logLevel == .info)
        #expect(synced.calls.withLock { $0 }.isEmpty)
    }

    @Test func logHandlersFollowTheLiveLevel() {
        let live = LiveSettings(logLevel: .info, logRetentionDays: 30)
        let handler = ConsoleLogHandler(label: "c", live: live, journal: true)
        #expect(handler.logLevel == .info)
        live.logLevel = .debug
        #expect(handler.logLevel == .debug)
    }
}
