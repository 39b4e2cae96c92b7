import ArgumentParser
import ConduitApp
import ConduitDNS
import ConduitPolicy
import Foundation
import Logging

/// `conduit arc`: the server's ARC chain validation (docs/ARC.md) on a message file.
struct Arc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arc",
        abstract: "Validate the ARC chain (RFC 8617) of a message file.",
        discussion: """
            Prints one line, the chain result first: `none` (no ARC header field), \
            `pass instances=N oldest_pass=K sealers=D1,D2` (K is 0 when every \
            ARC-Message-Signature still validates) or `fail instances=N reason=WHY` \
            (`temporary=yes` before reason= when only a DNS lookup failed). Exits 0 whatever \
            the result.
            """
    )

    @OptionGroup var nameserver: NameserverOption

    @Argument(help: "The message (RFC 5322; LF line ends are read as CRLF).")
    var file: String

    func run() async throws {
        let message = try readMessageFile(file)
        var logger = Logger(label: "conduit.arc")
        logger.logLevel = .warning
        let resolver = try nameserver.resolver(logger: logger)
        print(Self.line(await ARCVerifier(resolver: resolver, logger: logger).verify(message: message)))
    }

    /// The verdict as `conduit arc` prints it.
    static func line(_ verdict: ARCVerdict) -> String {
        switch verdict.result {
        case .none:
            return "none"
        case .pass:
            return "pass instances=\(verdict.instances) oldest_pass=\(verdict.oldestPass ?? 0) sealers=\(verdict.sealers.joined(separator: ","))"
        case .fail:
            let temporary = verdict.isTemporary ? " temporary=yes" : ""
            // A reason may quote a folded tag value: one line whatever it holds.
            let reason = String((verdict.reason ?? "").unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
            return "fail instances=\(verdict.instances)\(temporary) reason=\(reason)"
        }
    }
}
