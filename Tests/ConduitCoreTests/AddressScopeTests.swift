import Testing
@testable import ConduitCore

@Suite struct AddressScopeTests {
    @Test(arguments: [
        ("8.8.8.8", AddressScope.global), ("1.1.1.1", .global), ("172.32.0.1", .global), ("100.128.0.1", .global),
        ("0.0.0.0", .unspecified), ("0.1.2.3", .unspecified),
        ("127.0.0.1", .loopback), ("127.255.255.254", .loopback),
        ("10.1.2.3", .private), ("172.16.0.1", .private), ("172.31.255.255", .private), ("192.168.1.1", .private),
        ("100.64.0.1", .private), ("192.0.0.8", .private), ("198.18.0.1", .private),
        ("169.254.169.254", .linkLocal),
        ("224.0.0.1", .multicast), ("239.255.255.250", .multicast),
        ("240.0.0.1", .reserved), ("255.255.255.255", .reserved), ("192.0.2.1", .reserved), ("203.0.113.9", .reserved),
        ("2606:4700::1111", .global), ("2a00:1450:4001::200e", .global),
        ("::", .unspecified), ("::1", .loopback), ("fe80::1", .linkLocal), ("fc00::1", .private), ("fd12:3456::1", .private),
        ("fec0::1", .private), ("ff02::1", .multicast), ("2001:db8::1", .reserved), ("100::1", .reserved),
        // IPv4 carried in IPv6 is judged as the IPv4 address.
        ("::ffff:127.0.0.1", .loopback), ("::ffff:10.0.0.1", .private), ("::ffff:8.8.8.8", .global),
        // Issue 12 item 14: local-use NAT64, Teredo, the 6to4 relay anycast,
        // shared address space and benchmarking are never global.
        ("64:ff9b:1::1", .private), ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", .private), ("64:ff9b:1::808:808", .private),
        ("64:ff9b:2::1", .global),
        ("2001::1", .reserved), ("2001:0:4136:e378:8000:63bf:3fff:fdd2", .reserved), ("2001:0:ffff::1", .reserved),
        ("2001:1::1", .global), ("2001:4860:4860::8888", .global),
        ("192.88.99.1", .reserved), ("192.88.99.255", .reserved), ("192.88.98.1", .global), ("192.88.100.1", .global),
        ("100.64.0.0", .private), ("100.127.255.255", .private), ("100.63.255.255", .global),
        ("198.18.0.0", .private), ("198.19.255.255", .private), ("198.17.255.255", .global), ("198.20.0.1", .global),
        ("::ffff:192.88.99.1", .reserved), ("2002:c058:6301::1", .reserved), ("::ffff:100.64.0.1", .private),
        ("::127.0.0.1", .loopback), ("64:ff9b::a9fe:a9fe", .linkLocal), ("2002:7f00:1::1", .loopback), ("2002:0808:0808::1", .global),
    ])
    func scopes(_ text: String, _ expected: AddressScope) throws {
        let address = try #require(IPAddress(text))
        #expect(address.scope == expected, "\(text)")
    }
}
