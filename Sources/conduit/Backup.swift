import ArgumentParser
import ConduitApp
import ConduitStore

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent, compacted copy of the store to DEST (a new directory), even while serve runs."
    )

    @OptionGroup var options: ConfigOption

    @Argument(help: "Directory to create for the copy; must not exist.")
    var destination: String

    func run() throws {
        let config = try options.load()
        do {
            try Store.backup(storeAt: config.storage.path, to: destination)
            print("backup of \(config.storage.path) written to \(destination)")
        } catch {
            printError("conduit: backup failed: \(error)")
            throw ExitCode(ExitStatus.failure)
        }
    }
}
