import ConduitSMTP
import Logging
import ServiceLifecycle
import UnixSignals

/// `systemctl reload conduit` (SIGHUP): re-reads the config file, applies
/// what can change in a running server, re-reads the STARTTLS certificate and
/// key (certbot's deploy hook), and logs which changed keys wait for a
/// restart. Connections stay up. A config that no longer validates changes
/// nothing: the error is logged and the running configuration stays. The
/// file is parsed in a child process first (`ConfigPreflight`), so a file
/// that crashes the TOML parser crashes only the child.
struct ConfigReloader: Service {
    let path: String
    let initial: ConduitConfig
    let live: LiveSettings
    let tls: SMTPTLSProvider?
    /// Re-syncs `[smtp] public_domains` into the store.
    let syncPublicDomains: @Sendable ([String]) throws -> Void
    let notifier: ServiceNotifier
    /// The `STATUS=` line to restore after a reload.
    let readyStatus: @Sendable () -> String
    let logger: Logger

    func run() async throws {
        var running = initial
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            notifier.reloading(status: "Reloading \(path)")
            if case let .crashed(signal) = await ConfigPreflight.check(path: path) {
                logger.error("configuration reload refused: parsing the file crashed `conduit check-config`; the running configuration stays", metadata: [
                    "signal": "\(signal)", "config": "\(path)",
                ])
            } else {
                running = reload(running: running)
            }
            notifier.ready(status: readyStatus())
        }
    }

    /// One reload; returns what runs afterwards.
    func reload(running: ConduitConfig) -> ConduitConfig {
        var reloaded: [String] = []
        if let tls {
            do {
                try tls.reload()
                logger.info("TLS certificate reloaded", metadata: ["cert": "\(tls.certificatePath)"])
                reloaded.append("TLS certificate")
            } catch {
                logger.error("TLS certificate reload failed; keeping the previous one", metadata: ["error": "\(error)", "cert": "\(tls.certificatePath)"])
            }
        }
        let loaded: ConduitConfig
        do {
            loaded = try ConfigLoader.load(path: path)
        } catch {
            logger.error("configuration reload failed; the running configuration stays", metadata: ["error": "\(error)"])
            return running
        }
        let plan = ReloadPlan.make(running: running, loaded: loaded)
        var applied: [String] = []
        for key in plan.applied where apply(key, from: loaded) { applied.append(key) }
        var next = plan.running
        // A key that failed to apply keeps running with its old value.
        if !applied.contains("smtp.public_domains") { next.smtp.publicDomains = running.smtp.publicDomains }
        logger.notice("configuration reloaded", metadata: [
            "reloaded": "\(Self.list(reloaded + applied))",
            "needs_restart": "\(Self.list(plan.needsRestart))",
        ])
        return next
    }

    /// Applies one live key; false when it could not be applied.
    private func apply(_ key: String, from config: ConduitConfig) -> Bool {
        switch key {
        case "log.level":
            live.logLevel = config.log.level
        case "delivery.log_retention_days":
            live.logRetentionDays = config.delivery.logRetentionDays
        case "smtp.public_domains":
            do {
                try syncPublicDomains(config.smtp.publicDomains)
            } catch {
                logger.error("public domains not updated", metadata: ["error": "\(error)"])
                return false
            }
        default:
            return false
        }
        return true
    }

    static func list(_ items: [String]) -> String { items.isEmpty ? "none" : items.joined(separator: ",") }
}
