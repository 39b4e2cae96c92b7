import ArgumentParser
import ConduitApp

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file and exit (78 when invalid)."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        _ = try options.load()
        print("\(options.config): configuration OK")
    }
}
