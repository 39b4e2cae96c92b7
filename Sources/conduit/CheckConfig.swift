import ArgumentParser
import ConduitApp

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file and exit (78 when invalid)."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        do {
            _ = try ConfigLoader.load(path: options.config)
            print("\(options.config): configuration OK")
        } catch {
            printError("conduit: \(error)")
            throw ExitCode(ExitStatus.config)
        }
    }
}
