import ConduitCore
import Foundation

/// Parses the config file in a child process (`conduit check-config`) before
/// a running server parses it on SIGHUP.
///
/// Why: TOMLKit's parser (toml++) asserts — aborts the whole process — on
/// some invalid TOML. `TOMLAbortCheck` refuses the cases `make fuzz` found,
/// but a parser with asserts of that kind may have more, and a reload must
/// never turn a typo into a dead server (docs/RELIABILITY.md, "Fuzzing").
/// A child that dies of a signal is such a file; the running configuration
/// stays. Any other outcome goes on to the in-process parse, which reports
/// a bad file with its key and line as before.
enum ConfigPreflight {
    enum Verdict: Equatable, Sendable {
        /// The child exited (0 or not): parsing it in process is safe.
        case exited(Int32)
        /// The child died of this signal: parsing it in process would too.
        case crashed(signal: Int32)
        /// No child could be started; the reload goes on without the check.
        case unavailable(String)
    }

    /// One thread: reloads are rare, and the wait must not hold the cooperative pool.
    private static let thread = BlockingWork(width: 1)

    /// `conduit check-config --config path` with this process's own binary.
    static func check(path: String) async -> Verdict {
        await run(executable: ownExecutable(), arguments: ["check-config", "--config", path])
    }

    static func run(executable: String, arguments: [String]) async -> Verdict {
        (try? await thread.run { runBlocking(executable: executable, arguments: arguments) }) ?? .unavailable("no thread")
    }

    private static func runBlocking(executable: String, arguments: [String]) -> Verdict {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return .unavailable("\(error)")
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
            ? .crashed(signal: process.terminationStatus) : .exited(process.terminationStatus)
    }

    /// The running binary. `/proc/self/exe` names it even after a package
    /// upgrade replaced the file (then the link reads "… (deleted)").
    private static func ownExecutable() -> String {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"),
           !target.hasSuffix(" (deleted)") {
            return target
        }
        return "/proc/self/exe"
    }
}
