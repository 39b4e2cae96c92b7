import ArgumentParser
import Foundation

/// The message FILE of the diagnostics (`dkim`, `arc`, `dmarc`, `parse`):
/// its bytes, or exit 1 with the reason on stderr.
func readMessageFile(_ file: String) throws -> [UInt8] {
    do {
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    } catch {
        printError("conduit: cannot read \(file): \(error.localizedDescription)")
        throw ExitCode(ExitStatus.failure)
    }
}
