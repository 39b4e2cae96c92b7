import ArgumentParser
import ConduitApp
import ConduitCore
import ConduitDNS
import ConduitPolicy
import Logging

/// `conduit spf`: the server's SPF check on the command line (README, "Command line").
struct Spf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check SPF (RFC 7208) for a client address and envelope; print the result and any explanation.",
        discussion: """
            Prints one line: the result (pass, fail, softfail, neutral, none, temperror, permerror), \
            then a tab and the domain's explanation when it failed with one. Exits 0 whatever the result.
            """
    )

    @Option(name: .long, help: "The SMTP client's IP address (IPv4 or IPv6).")
    var ip: String

    @Option(name: .customLong("mail-from"), help: "The MAIL FROM address; empty or <> checks the HELO name.")
    var mailFrom: String

    @Option(name: .long, help: "The HELO/EHLO name.")
    var helo: String

    @OptionGroup var nameserver: NameserverOption

    @Flag(name: .long, help: "Log each DNS lookup and the reason for errors to stderr.")
    var verbose = false

    func validate() throws {
        guard IPAddress(ip) != nil else { throw ValidationError("--ip '\(ip)' is not an IPv4 or IPv6 address") }
    }

    func run() async throws {
        let level: Logger.Level = verbose ? .debug : .error
        LoggingSystem.bootstrap { label in ConsoleLogHandler(label: label, level: level) }
        let logger = Logger(label: "conduit.spf")
        let resolver = try nameserver.resolver(logger: logger)
        let checker = SPFChecker(resolver: resolver, logger: logger)
        let verdict = await checker.check(ip: IPAddress(ip)!, mailFrom: mailFrom, helo: helo)
        var line = verdict.result.rawValue
        if let explanation = verdict.explanation {
            line += "\t" + String(explanation.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        }
        print(line)
    }
}
