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
        let level = config.log.level
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, level: level) }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "conduit")
        do {
            try await ConduitServer.run(config: config, logger: logger, metrics: registry)
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
