import ArgumentParser
import ConduitApp
import ConduitCore
import ConduitDNS
import ConduitPolicy
import Foundation
import Logging

/// `conduit dmarc`: the server's SPF, DKIM and DMARC (RFC 9989) checks of a
/// message on the command line (README, "Command line"; docs/DMARC.md).
struct Dmarc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dmarc",
        abstract: "Check DMARC (RFC 9989) for a message file, its client address and envelope.",
        discussion: """
            Runs SPF on the envelope, DKIM on the message and DMARC on its From: domain, and prints one line: \
            RESULT domain=AUTHOR_DOMAIN policy=POLICY spf_aligned=BOOL dkim_aligned=BOOL \
            org=ORGANIZATIONAL_DOMAIN record=POLICY_DOMAIN. RESULT is pass, fail, none, temperror or permerror; \
            POLICY (none, quarantine, reject) is the one to apply when the result is fail, already one level \
            less strict under t=y; org and record are empty when unknown. Exits 0 whatever the result.
            """
    )

    @OptionGroup var nameserver: NameserverOption

    @Option(name: .long, help: "The SMTP client's IP address (IPv4 or IPv6).")
    var ip: String

    @Option(name: .customLong("mail-from"), help: "The MAIL FROM address; empty or <> checks the HELO name.")
    var mailFrom: String

    @Option(name: .long, help: "The HELO/EHLO name.")
    var helo: String

    @Flag(name: .shortAndLong, help: "Also print the SPF and DKIM results and why DMARC did not pass, on stderr.")
    var verbose = false

    @Argument(help: "The message (RFC 5322; LF line ends are read as CRLF).")
    var file: String

    func validate() throws {
        guard IPAddress(ip) != nil else { throw ValidationError("--ip '\(ip)' is not an IPv4 or IPv6 address") }
    }

    func run() async throws {
        let message = try readMessageFile(file)
        var logger = Logger(label: "conduit.dmarc")
        logger.logLevel = .warning
        // Short, as for `conduit spf`: a dead nameserver gives temperror in seconds.
        let resolver = try nameserver.resolver(logger: logger)
        let spf = await SPFChecker(resolver: resolver, logger: logger).check(ip: IPAddress(ip)!, mailFrom: mailFrom, helo: helo)
        let dkim = await DKIMVerifier(resolver: resolver, logger: logger).verify(message: message)
        let verdict = await DMARCEvaluator(resolver: resolver, logger: logger).evaluate(message: message, spf: spf, dkim: dkim)
        print(Self.line(verdict))
        if verbose {
            printError("spf=\(spf.result.rawValue) smtp.mailfrom=\(spf.domain)")
            for signature in dkim { printError("dkim=\(signature.result.rawValue) header.d=\(signature.domain)") }
            if let reason = verdict.reason { printError("dmarc=\(verdict.result.rawValue): \(reason)") }
        }
    }

    /// The one output line; names are printed as the DNS has them (A-labels).
    static func line(_ verdict: DMARCVerdict) -> String {
        "\(verdict.result.rawValue) domain=\(verdict.authorDomain) policy=\(verdict.policy.rawValue)"
            + " spf_aligned=\(verdict.spfAligned) dkim_aligned=\(verdict.dkimAligned)"
            + " org=\(verdict.organizationalDomain ?? "") record=\(verdict.policyDomain ?? "")"
    }
}
