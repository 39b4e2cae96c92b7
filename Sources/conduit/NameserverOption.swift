import ArgumentParser
import ConduitApp
import ConduitCore
import ConduitDNS

import Logging

/// `--dns HOST:PORT` and `--dns-timeout-ms`, shared by the commands that ask
/// DNS (`spf`, `dkim`, `arc`, `dmarc`) so that they read them alike.
struct NameserverOption: ParsableArguments {
    @Option(name: .long, help: "Nameserver to ask, HOST:PORT (default: those of /etc/resolv.conf).")
    var dns: String?

    @Option(name: .customLong("dns-timeout-ms"), help: "How long to wait for each DNS answer, 1–60000 ms (two tries).")
    var dnsTimeoutMs = 2000

    func validate() throws {
        _ = try nameservers()
        guard (1...60_000).contains(dnsTimeoutMs) else { throw ValidationError("--dns-timeout-ms \(dnsTimeoutMs) is not within 1–60000") }
    }

    /// The resolver these options describe: 2 s per answer by default, so a
    /// dead nameserver gives a temporary error in seconds, as the server's
    /// checks do for a waiting SMTP client; a test under load asks for more.
    func resolver(logger: Logger) throws -> DNSResolver {
        DNSResolver(nameservers: try nameservers(), timeout: .milliseconds(dnsTimeoutMs), attempts: 2, logger: logger)
    }

    /// `--dns`, or the system's nameservers. The resolver sends to an address,
    /// not a name, so HOST must be an IP literal; `localhost` is taken as
    /// 127.0.0.1 because that is what a test's loopback DNS server is given as.
    func nameservers() throws -> [DNSResolver.Nameserver] {
        guard let dns else { return DNSResolver.systemNameservers() }
        let address: HostPort
        do {
            address = try HostPort.parse(dns, defaultPort: 53)
        } catch {
            throw ValidationError("--dns '\(dns)': \(error.reason)")
        }
        let host = address.host == "localhost" ? "127.0.0.1" : address.host
        guard IPAddress(host) != nil else {
            throw ValidationError("--dns '\(dns)': HOST must be an IP address (or localhost)")
        }
        return [DNSResolver.Nameserver(host: host, port: address.port)]
    }
}
