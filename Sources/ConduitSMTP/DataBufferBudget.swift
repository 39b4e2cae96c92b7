import Synchronization

/// The process-wide budget of message text held in memory while DATA is
/// received (docs/SMTP.md, "Memory"): in-memory message starts and spill
/// writes not yet on disk, across all connections.
///
/// A connection reserves bytes before it keeps them in memory. When the
/// budget is spent it keeps nothing more in memory (the rest of its message
/// goes to its spill file) and stops reading the socket while it still has
/// spill writes in flight, so the kernel's socket buffer — not this process —
/// holds what the client sends next. A connection with nothing in flight may
/// always take one more read (forced into the budget, past its limit): it
/// never waits for another connection, so no set of connections can wait on
/// each other, and the overshoot is at most one read per connection.
public final class DataBufferBudget: Sendable {
    /// The limit in bytes.
    public let limit: Int
    private let used = Mutex(0)

    public init(limit: Int) {
        self.limit = max(0, limit)
    }

    /// Bytes held now (may exceed `limit` by the forced reservations).
    public var inUse: Int { used.withLock { $0 } }

    /// Whether nothing more fits.
    public var isExhausted: Bool { used.withLock { $0 >= limit } }

    /// Reserves `bytes` if they fit under the limit.
    public func tryReserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard used + bytes <= limit else { return false }
            used += bytes
            return true
        }
    }

    /// Reserves `bytes` whether or not they fit (bytes already read that
    /// must be held until written).
    public func forceReserve(_ bytes: Int) {
        used.withLock { $0 += bytes }
    }

    /// Gives back bytes reserved earlier.
    public func release(_ bytes: Int) {
        guard bytes > 0 else { return }
        used.withLock { $0 = max(0, $0 - bytes) }
    }
}

/// Bytes of a `DataBufferBudget` held by one finished message's in-memory
/// part; given back when the message is released (after the spool commit).
final class BudgetReservation: Sendable {
    let budget: DataBufferBudget
    let bytes: Int

    init(budget: DataBufferBudget, bytes: Int) {
        self.budget = budget
        self.bytes = bytes
    }

    deinit { budget.release(bytes) }
}
