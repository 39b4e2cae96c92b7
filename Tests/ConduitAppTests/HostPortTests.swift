import Testing
@testable import ConduitApp

@Suite struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:25", HostPort(host: "127.0.0.1", port: 25)),
        ("[::1]:8080", HostPort(host: "::1", port: 8080)),
        ("[2001:db8::1]:0", HostPort(host: "2001:db8::1", port: 0)),
        ("localhost:2525", HostPort(host: "localhost", port: 2525)),
    ])
    func parsesListenAddresses(text: String, expected: HostPort) throws {
        #expect(try HostPort.parse(text) == expected)
    }

    @Test func descriptionBracketsIPv6() {
        #expect(HostPort(host: "::1", port: 25).description == "[::1]:25")
        #expect(HostPort(host: "10.0.0.1", port: 25).description == "10.0.0.1:25")
    }

    @Test func hostNamesOnlyWhereAllowed() throws {
        #expect(throws: HostPortError.self) { try HostPort.parse("relay.example.com:25") }
        #expect(try HostPort.parse("relay.example.com", defaultPort: 25, allowHostName: true) == HostPort(host: "relay.example.com", port: 25))
        #expect(throws: HostPortError.self) { try HostPort.parse("-bad-.example:25", allowHostName: true) }
    }

    @Test(arguments: ["", ":25", "1.2.3.4", "1.2.3.4:", "1.2.3.4:x", "1.2.3.4:65536", "[::1", "[::1]x", "[1.2.3.4]:25", "a:b:c"])
    func rejects(_ text: String) {
        #expect(throws: HostPortError.self) { try HostPort.parse(text) }
    }
}
