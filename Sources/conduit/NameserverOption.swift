import ArgumentParser
import ConduitApp
import ConduitCore
import ConduitDNS

/// `--dns HOST:PORT`, shared by the commands that ask DNS (`spf`, `dkim`,
/// `arc`, `dmarc`) so that they read it alike.
struct NameserverOption: ParsableArguments {
    @Option(name: .long, help: "Nameserver to ask, HOST:PORT (default: those of /etc/resolv.conf).")
    var dns: String?

    func validate() throws { _ = try nameservers() }

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
