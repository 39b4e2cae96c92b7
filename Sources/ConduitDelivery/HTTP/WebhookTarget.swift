
/// A webhook's target URL taken apart for one HTTP/1.1 request: where to
/// connect (`origin`) and what to put in the request line and `Host`.
/// Target URLs are validated by the API (http or https, a host, no user
/// info); anything this parser does not take is "invalid target URL".
struct WebhookTarget: Sendable, Equatable {
    /// The connection key: scheme, host (lower case, IPv6 without
    /// brackets) and port. Pooled connections are reused per origin.
    struct Origin: Hashable, Sendable, CustomStringConvertible {
        var tls: Bool
        var host: String
        var port: Int

        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    var origin: Origin
    /// Path and query, at least `/` (RFC 9112 §3.2.1 origin-form).
    var requestTarget: String
    /// The `Host` header: the host as written, with the port unless it is the scheme's default.
    var hostHeader: String

    init?(url: String) {
        let tls: Bool
        let rest: Substring
        if let range = url.firstRange(of: "://") {
            switch url[..<range.lowerBound].lowercased() {
            case "https": tls = true
            case "http": tls = false
            default: return nil
            }
            rest = url[range.upperBound...]
        } else {
            return nil
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var target = String(rest[authorityEnd...].prefix { $0 != "#" })
        if target.isEmpty || target.first == "?" { target = "/" + target }
        let host: Substring
        var port = tls ? 443 : 80
        if authority.first == "[" {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.first == ":", let number = Int(after.dropFirst()), (1...65535).contains(number) else { return nil }
                port = number
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            let digits = authority[authority.index(after: colon)...]
            if !digits.isEmpty {
                guard let number = Int(digits), (1...65535).contains(number) else { return nil }
                port = number
            }
        } else {
            host = authority
        }
        guard !host.isEmpty, !host.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }),
              !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { return nil }
        origin = Origin(tls: tls, host: host.lowercased(), port: port)
        requestTarget = target
        let defaultPort = tls ? 443 : 80
        let written = authority.first == "[" ? "[\(host)]" : String(host)
        hostHeader = port == defaultPort ? written : "\(written):\(port)"
    }
}
