import Synchronization

/// Results of one resolver, shared by all its callers, each kept for its
/// TTL. Bounded: past `capacity`, the oldest entries go first.
final class DNSCache: Sendable {
    struct Key: Hashable, Sendable {
        /// Lowercased.
        let name: DNSName
        let type: UInt16
    }

    private struct Entry {
        let result: DNSLookupResult
        let stored: ContinuousClock.Instant
        let expires: ContinuousClock.Instant
        let generation: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// Keys in insertion order; an item is stale when its generation no
        /// longer matches the entry's (replaced or removed since).
        var order: [(key: Key, generation: UInt64)] = []
        var head = 0
        var nextGeneration: UInt64 = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// The cached result, with record TTLs reduced by the time spent in the
    /// cache; `nil` when absent or expired.
    func get(_ key: Key, now: ContinuousClock.Instant = .now) -> DNSLookupResult? {
        state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            guard now < entry.expires else {
                state.entries[key] = nil
                return nil
            }
            guard case let .records(records) = entry.result else { return entry.result }
            let elapsed = UInt32(clamping: (now - entry.stored).components.seconds)
            return .records(records.map { $0.with(ttl: $0.ttl > elapsed ? $0.ttl - elapsed : 0) })
        }
    }

    /// Keeps `result` for `ttl` seconds; a TTL of 0 stores nothing.
    func put(_ key: Key, _ result: DNSLookupResult, ttl: UInt32, now: ContinuousClock.Instant = .now) {
        guard ttl > 0, capacity > 0 else { return }
        state.withLock { state in
            let generation = state.nextGeneration
            state.nextGeneration += 1
            state.entries[key] = Entry(result: result, stored: now, expires: now + .seconds(ttl), generation: generation)
            state.order.append((key, generation))
            while state.entries.count > capacity, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                if state.entries[oldest.key]?.generation == oldest.generation {
                    state.entries[oldest.key] = nil
                }
            }
            // Drop consumed and stale items now and then, so `order` stays O(capacity).
            if state.order.count > 2 * capacity + 1024 || (state.head > 1024 && state.head * 2 > state.order.count) {
                let entries = state.entries
                state.order = state.order[state.head...].filter { entries[$0.key]?.generation == $0.generation }
                state.head = 0
            }
        }
    }
}
