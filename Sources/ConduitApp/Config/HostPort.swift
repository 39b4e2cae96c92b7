import Glibc

/// A `host:port` pair from the config: an IPv4 literal, a bracketed IPv6
/// literal (`[::1]:25`) or, where allowed, a host name.
public struct HostPort: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `text`. `defaultPort` makes the port optional; `allowHostName`
    /// admits DNS names besides IP literals (`localhost` is always admitted).
    public static func parse(_ text: String, defaultPort: Int? = nil, allowHostName: Bool = false) throws(HostPortError) -> HostPort {
        var host: Substring
        var portText: Substring?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw HostPortError("unclosed '[' in IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.first == ":" else { throw HostPortError("expected ':' after ']'") }
                portText = rest.dropFirst()
            }
            guard isIPv6(String(host)) else { throw HostPortError("'\(host)' is not an IPv6 address") }
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw HostPortError("write IPv6 addresses in brackets, e.g. [::1]:25") }
            host = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            let name = String(host)
            guard !name.isEmpty else { throw HostPortError("missing host") }
            if !isIPv4(name), name != "localhost" {
                guard allowHostName, isHostName(name) else {
                    throw HostPortError("'\(name)' is not an IP address" + (allowHostName ? " or host name" : ""))
                }
            }
        }
        let port: Int
        if let portText {
            guard let value = Int(portText), (0...65535).contains(value) else { throw HostPortError("port '\(portText)' is not 0-65535") }
            port = value
        } else if let defaultPort {
            port = defaultPort
        } else {
            throw HostPortError("missing ':port'")
        }
        return HostPort(host: String(host), port: port)
    }

    static func isIPv4(_ s: String) -> Bool {
        var addr = in_addr()
        return inet_pton(AF_INET, s, &addr) == 1
    }

    static func isIPv6(_ s: String) -> Bool {
        var addr = in6_addr()
        return inet_pton(AF_INET6, s, &addr) == 1
    }

    static func isHostName(_ s: String) -> Bool {
        guard s.utf8.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                && label.utf8.allSatisfy { $0 == UInt8(ascii: "-") || ($0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber)) }
        }
    }
}

/// Why a `host:port` was refused.
public struct HostPortError: Error, Equatable {
    public let reason: String
    init(_ reason: String) { self.reason = reason }
}
