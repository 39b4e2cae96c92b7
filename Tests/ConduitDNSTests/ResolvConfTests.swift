import Foundation
import Testing
@testable import ConduitDNS

@Suite struct ResolvConfTests {
    @Test func readsNameserverLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resolv-\(UUID().uuidString).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = """
            # generated
            search example.com
            nameserver 192.0.2.53   # primary
            nameserver\t2001:db8::53
            ; nameserver 192.0.2.99
            nameserver fe80::1%eth0
            nameserver not-an-address
            options timeout:1
            nameserver 192.0.2.54
            nameserver 192.0.2.55
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DNSResolver.systemNameservers(resolvConf: path) == [
            .init(host: "192.0.2.53", port: 53), .init(host: "2001:db8::53", port: 53), .init(host: "192.0.2.54", port: 53),
        ])
    }

    @Test func fallsBackToLocalhost() throws {
        #expect(DNSResolver.systemNameservers(resolvConf: "/nonexistent/resolv.conf") == [.init(host: "127.0.0.1", port: 53)])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("resolv-\(UUID().uuidString).conf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "search example.com\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DNSResolver.systemNameservers(resolvConf: path) == [.init(host: "127.0.0.1", port: 53)])
    }

    @Test func nameserverDescription() {
        #expect(DNSResolver.Nameserver(host: "::1", port: 5353).description == "[::1]:5353")
        #expect(DNSResolver.Nameserver(host: "127.0.0.1", port: 53).description == "127.0.0.1:53")
    }
}
