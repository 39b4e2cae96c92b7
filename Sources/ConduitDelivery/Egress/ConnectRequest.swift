import FoundationEssentials

/// The head of an HTTP `CONNECT` request (RFC 9110 §9.3.6) as the egress
/// proxy accepts it from its one client, the webhook HTTP client:
/// `CONNECT host:port HTTP/1.1`, headers, blank line.
struct ConnectRequest: Equatable, Sendable {
    /// The target host, lower-cased, without IPv6 brackets.
    var host: String
    var port: Int
    /// The `Proxy-Authorization` value, if any.
    var proxyAuthorization: String?

    /// Longest head accepted; the client sends about 150 bytes.
    static let maxHeadBytes = 8192

    enum ParseResult: Equatable {
        /// No blank line yet.
        case incomplete
        /// The request and the length of its head (bytes after it belong to the tunnel).
        case complete(ConnectRequest, headLength: Int)
        case invalid(String)
    }

    /// Parses from the start of `bytes`.
    static func parse(_ bytes: some Collection<UInt8>) -> ParseResult {
        let buffer = Array(bytes.prefix(maxHeadBytes + 4))
        guard let end = headEnd(buffer) else {
            return buffer.count > maxHeadBytes ? .invalid("request head too long") : .incomplete
        }
        let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        guard let first = lines.first else { return .invalid("empty request") }
        let requestLine = first.split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, requestLine[0] == "CONNECT", requestLine[2].hasPrefix("HTTP/1.") else {
            return .invalid("not a CONNECT request")
        }
        guard let (host, port) = authority(String(requestLine[1])) else { return .invalid("bad CONNECT target") }
        var authorization: String?
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return .invalid("bad header line") }
            if line[..<colon].lowercased() == "proxy-authorization" {
                authorization = String(line[line.index(after: colon)...]).trimmingCharacters(in: " \t")
            }
        }
        return .complete(ConnectRequest(host: host, port: port, proxyAuthorization: authorization), headLength: end + 4)
    }

    /// `host:port`, `[v6]:port`, or a bare IPv6 address and port split at
    /// the last colon (the form AsyncHTTPClient writes for IPv6 targets).
    static func authority(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(text[..<colon]).lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.utf8.count <= 253,
              host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "@") })
        else { return nil }
        return (host, port)
    }

    private static func headEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for i in 0...(b.count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 {
            return i
        }
        return nil
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
