import ArgumentParser
import ConduitApp

/// `conduit`: the command line of the appliance.
@main
struct Conduit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conduit",
        abstract: "Inbound SMTP to signed webhooks.",
        subcommands: [Serve.self, CheckConfig.self, Backup.self, SpoolCommand.self, Version.self, Spf.self, Dkim.self, Arc.self, Dmarc.self, Parse.self]
    )
}

/// `--config PATH`, shared by every command that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file.")
    var config: String = ConfigLoader.defaultPath

    /// Loads the configuration, or prints why not and exits 78 (EX_CONFIG).
    func load() throws -> ConduitConfig {
        do {
            return try ConfigLoader.load(path: config)
        } catch {
            printError("conduit: \(error)")
            throw ExitCode(ExitStatus.config)
        }
    }
}

/// sysexits(3) statuses systemd units key on (`RestartPreventExitStatus=78`).
enum ExitStatus {
    static let config: Int32 = 78
    static let failure: Int32 = 1
}
