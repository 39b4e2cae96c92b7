import ArgumentParser
import ConduitApp
import ConduitDNS
import ConduitPolicy
import Foundation
import Logging

struct Dkim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dkim",
        abstract: "Verify the DKIM signatures of a message file.",
        discussion: """
            Prints one line per DKIM-Signature, top first: RESULT d=DOMAIN s=SELECTOR a=ALGORITHM \
            (RESULT is pass, fail, neutral, temperror, permerror or policy), or `none` when the \
            message is unsigned. Exits 0 whatever the results.
            """
    )

    @OptionGroup var nameserver: NameserverOption

    @Flag(name: .shortAndLong, help: "Also print why each signature did not pass, on stderr.")
    var verbose = false

    @Argument(help: "The message (RFC 5322; LF line ends are read as CRLF).")
    var file: String

    func run() async throws {
        let message = try readMessageFile(file)
        var logger = Logger(label: "conduit.dkim")
        logger.logLevel = .warning
        let resolver = try nameserver.resolver(logger: logger)
        let verdicts = await DKIMVerifier(resolver: resolver, logger: logger).verify(message: message)
        if verdicts.isEmpty {
            print("none")
        }
        for verdict in verdicts {
            print("\(verdict.result.rawValue) d=\(verdict.domain) s=\(verdict.selector) a=\(verdict.algorithm)")
            if verbose, let reason = verdict.reason {
                printError("\(verdict.result.rawValue) d=\(verdict.domain) s=\(verdict.selector): \(reason)")
            }
        }
    }
}
