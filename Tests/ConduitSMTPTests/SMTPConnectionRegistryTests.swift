import NIOCore
import NIOEmbedded
import Testing
@testable import ConduitSMTP

/// The per-IP connection limit counts an IPv6 client by its /64 and an
/// IPv4-mapped IPv6 client as its IPv4 address (issue 12, item 7).
@Suite struct SMTPConnectionRegistryTests {
    @Test(arguments: [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2:a:b:c:d", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("::1", "::/64"),
        ("fe80::1", "fe80::/64"),
        ("unknown", "unknown"),
    ])
    func limitKey(_ ip: String, _ key: String) {
        #expect(SMTPConnectionRegistry.limitKey(for: ip) == key)
    }

    @Test func addressesOfOneSlash64ShareTheLimit() throws {
        let registry = SMTPConnectionRegistry(maxTotal: 100, maxPerIP: 2)
        let first = EmbeddedChannel(), second = EmbeddedChannel(), third = EmbeddedChannel(), elsewhere = EmbeddedChannel()
        #expect(registry.register(first, ip: "2001:db8:1:2::1") == .admitted)
        #expect(registry.register(second, ip: "2001:db8:1:2::2") == .admitted)
        // A third address in the same /64 is the same client.
        #expect(registry.register(third, ip: "2001:db8:1:2:dead:beef:0:1") == .tooManyFromIP)
        // The next /64 is someone else.
        #expect(registry.register(elsewhere, ip: "2001:db8:1:3::1") == .admitted)
        // Closing one frees a slot for the whole /64.
        _ = try? first.finish()
        _ = try? third.finish()
        let fourth = EmbeddedChannel()
        #expect(registry.register(fourth, ip: "2001:db8:1:2::99") == .admitted)
        #expect(registry.count == 3)
    }

    @Test func aMappedIPv4ClientCountsAsItsIPv4Address() {
        let registry = SMTPConnectionRegistry(maxTotal: 100, maxPerIP: 1)
        #expect(registry.register(EmbeddedChannel(), ip: "192.0.2.7") == .admitted)
        #expect(registry.register(EmbeddedChannel(), ip: "::ffff:192.0.2.7") == .tooManyFromIP)
        #expect(registry.register(EmbeddedChannel(), ip: "192.0.2.8") == .admitted)
    }
}
