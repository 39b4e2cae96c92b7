import ArgumentParser
import ConduitApp
import Glibc
import Logging
import Metrics
import Prometheus

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the SMTP and API listeners until SIGTERM.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config = try options.load()
        // Shared with every log handler, so a reload can change the level.
        let live = LiveSettings(config: config)
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, live: live) }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "conduit")
        do {
            try await ConduitServer.run(config: config, configPath: options.config, live: live, logger: logger, metrics: registry)
        } catch let error as ConfigError {
            // Found only at start (e.g. a certificate that does not parse): still
            // EX_CONFIG, so systemd's RestartPreventExitStatus=78 stops a restart loop.
            logger.critical("Conduit failed: configuration error", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.config)
        } catch {
            logger.critical("Conduit failed", metadata: ["error": "\(error)"])
            throw ExitCode(ExitStatus.failure)
        }
    }
}

func printError(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    bytes.withUnsafeBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
