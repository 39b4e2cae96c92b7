import Dispatch

/// Runs CPU-heavy synchronous work (scrypt: ~0.4 s and 128 MiB each) on
/// Dispatch threads instead of Swift's cooperative pool, at most `width` at
/// a time, so password hashing never starves the event loops or exhausts memory.
public actor BlockingWork {
    private let width: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// - Parameter width: how many jobs may run at once.
    public init(width: Int) {
        precondition(width > 0)
        self.width = width
    }

    /// Runs `work` on a Dispatch thread once a slot is free.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try work() })
            }
        }
    }

    private func acquire() async {
        if running < width {
            running += 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // Hand the slot straight to the next waiter.
            waiters.removeFirst().resume()
        }
    }
}
