import ArgumentParser

/// `conduit`: the command line of the appliance.
@main
struct Conduit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conduit",
        abstract: "Inbound SMTP to signed webhooks.",
        subcommands: [Serve.self, CheckConfig.self, Backup.self, Version.self]
    )
}

/// `--config PATH`, shared by every command that reads the configuration.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file.")
    var config: String = "/etc/conduit/conduit.toml"
}

/// sysexits(3) statuses systemd units key on (`RestartPreventExitStatus=78`).
enum ExitStatus {
    static let config: Int32 = 78
    static let failure: Int32 = 1
}
