import Foundation

/// Deliveries whose last outcome could not be written (the store was full),
/// each with the time before which no claim pass may start it again.
///
/// Why in memory: when the outcome cannot be written, the lease extension
/// that would carry the backoff on disk may not fit either, yet a claim (an
/// update that reuses the pages the previous one freed) may still fit. Without
/// this table the delivery would come due again at every lease end and be
/// POSTed over and over while nothing about it can be recorded. The attempt
/// count needs no such help: every POST follows a lease written to disk with
/// `attempts + 1`, so the count on disk is the number of POSTs, recorded or not.
///
/// Bounded: at most `capacity` deliveries. When it is full (after dropping the
/// entries whose time has passed) a new entry is not added, and that delivery
/// falls back to its lease on disk (it comes due at the lease end, never sooner).
/// Lost on restart, when every lease is re-offered anyway.
struct UnrecordedBackoff {
    static let defaultCapacity = 100_000

    let capacity: Int
    private(set) var until: [String: Date] = [:]

    init(capacity: Int = Self.defaultCapacity) {
        self.capacity = max(1, capacity)
    }

    var isEmpty: Bool { until.isEmpty }

    /// Holds `deliveryID` back until `date`; `false` when the table is full.
    @discardableResult
    mutating func hold(_ deliveryID: String, until date: Date, now: Date) -> Bool {
        if until[deliveryID] == nil, until.count >= capacity {
            until = until.filter { $0.value > now }
            guard until.count < capacity else { return false }
        }
        until[deliveryID] = date
        return true
    }

    /// Whether `deliveryID` must not start at `now`.
    func isHeld(_ deliveryID: String, now: Date) -> Bool {
        guard let date = until[deliveryID] else { return false }
        return date > now
    }

    /// Forgets a delivery (its outcome was written after all).
    mutating func release(_ deliveryID: String) {
        until.removeValue(forKey: deliveryID)
    }
}
