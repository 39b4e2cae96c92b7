import NIOCore
import Synchronization

/// Idle keep-alive connections per origin, so consecutive POSTs to one
/// receiver reuse a connection (and its TLS session) instead of opening one
/// each. Only idle connections live here: a POST takes one out (or opens a
/// new one) and puts it back when the exchange left it reusable, so the
/// number of open connections is bounded by the deliveries in flight
/// (`delivery.max_in_flight_per_webhook` per webhook, 512 in all) plus these.
///
/// Bounds: `maxIdlePerOrigin` per origin, `maxIdle` in all (the oldest idle
/// one anywhere is closed to make room), and none older than `idleTimeout`
/// since its last use (receivers close idle keep-alive connections after a
/// few seconds to minutes; an old one is likely to be closed under a POST).
final class WebhookConnectionPool: Sendable {
    private struct Idle {
        var connection: WebhookConnection
        var since: NIODeadline
    }

    private struct State {
        var idle: [WebhookTarget.Origin: [Idle]] = [:]
        var count = 0
        var closed = false
    }

    let maxIdlePerOrigin: Int
    let maxIdle: Int
    let idleTimeout: TimeAmount
    private let state = Mutex(State())

    init(maxIdlePerOrigin: Int, maxIdle: Int = 128, idleTimeout: TimeAmount = .seconds(30)) {
        self.maxIdlePerOrigin = max(1, maxIdlePerOrigin)
        self.maxIdle = max(1, maxIdle)
        self.idleTimeout = idleTimeout
    }

    /// The most recently used idle connection to `origin` that is still
    /// open and young enough, or `nil`.
    func take(_ origin: WebhookTarget.Origin) -> WebhookConnection? {
        let now = NIODeadline.now()
        var stale: [WebhookConnection] = []
        let found: WebhookConnection? = state.withLock { state in
            guard var list = state.idle[origin] else { return nil }
            var found: WebhookConnection?
            while let last = list.popLast() {
                state.count -= 1
                if last.connection.isActive, now - last.since < idleTimeout {
                    found = last.connection
                    break
                }
                stale.append(last.connection)
            }
            state.idle[origin] = list.isEmpty ? nil : list
            return found
        }
        for connection in stale { connection.close() }
        return found
    }

    /// Keeps `connection` for the next POST to its origin, or closes it when
    /// the pool is full for that origin or shut down.
    func put(_ connection: WebhookConnection) {
        let now = NIODeadline.now()
        var evicted: [WebhookConnection] = []
        state.withLock { state in
            guard !state.closed, connection.isActive else {
                evicted.append(connection)
                return
            }
            var list = state.idle[connection.origin] ?? []
            // Drop what went stale in this origin's list (oldest first).
            while let first = list.first, !first.connection.isActive || now - first.since >= idleTimeout {
                evicted.append(list.removeFirst().connection)
                state.count -= 1
            }
            if list.count >= maxIdlePerOrigin {
                evicted.append(list.removeFirst().connection)
                state.count -= 1
            }
            state.idle[connection.origin] = list.isEmpty ? nil : list
            if state.count >= maxIdle, let oldest = Self.oldestOrigin(in: state.idle) {
                evicted.append(state.idle[oldest]!.removeFirst().connection)
                if state.idle[oldest]!.isEmpty { state.idle[oldest] = nil }
                state.count -= 1
            }
            state.idle[connection.origin, default: []].append(Idle(connection: connection, since: now))
            state.count += 1
        }
        for connection in evicted { connection.close() }
    }

    /// The number of idle connections held (for tests and metrics).
    var idleCount: Int { state.withLock { $0.count } }

    /// Closes every idle connection; later `put`s close theirs.
    func shutdown() {
        let all: [WebhookConnection] = state.withLock { state in
            state.closed = true
            let all = state.idle.values.flatMap { $0.map(\.connection) }
            state.idle = [:]
            state.count = 0
            return all
        }
        for connection in all { connection.close() }
    }

    private static func oldestOrigin(in idle: [WebhookTarget.Origin: [Idle]]) -> WebhookTarget.Origin? {
        idle.min { ($0.value.first?.since ?? .distantFuture) < ($1.value.first?.since ?? .distantFuture) }?.key
    }
}
