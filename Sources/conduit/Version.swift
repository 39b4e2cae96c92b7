import ArgumentParser
import ConduitCore

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version (x.y.z).")

    func run() {
        print(ConduitVersion.string)
    }
}
