import Synchronization

/// Why the proxy recently refused or failed a tunnel, by `host:port`.
///
/// The HTTP client learns only "the proxy said no" from a failed CONNECT;
/// the delivery log wants the reason (an SSRF refusal, a DNS failure, a
/// refused connection). A tunnel to one target is answered the same way for
/// every delivery made within seconds of it, so a short-lived map is enough.
final class EgressFailureLog: Sendable {
    private struct Entry {
        var reason: String
        var at: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let lifetime: Duration = .seconds(120)
    private let capacity = 4096

    func record(host: String, port: Int, reason: String) {
        let now = ContinuousClock.now
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { now - $0.value.at < lifetime }
                if entries.count >= capacity { entries.removeAll() }
            }
            entries[Self.key(host, port)] = Entry(reason: reason, at: now)
        }
    }

    func reason(host: String, port: Int) -> String? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[Self.key(host, port)], now - entry.at < lifetime else { return nil }
            return entry.reason
        }
    }

    static func key(_ host: String, _ port: Int) -> String {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return "\(host):\(port)"
    }
}
