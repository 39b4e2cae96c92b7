import Dispatch

/// Runs CPU-heavy synchronous work (scrypt: ~0.4 s and 128 MiB each) on
/// Dispatch threads instead of Swift's cooperative pool, at most `width` at
/// a time, so password hashing never starves the event loops or exhausts memory.
public actor BlockingWork {
    private let width: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    /// Jobs started since the pool was made (what a caller's work cost,
    /// e.g. how many scrypt computations one SMTP AUTH ran).
    public private(set) var jobsStarted = 0

    /// - Parameter width: how many jobs may run at once.
    public init(width: Int) {
        precondition(width > 0)
        self.width = width
    }

    /// Runs `work` on a Dispatch thread once a slot is free.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        jobsStarted += 1
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

extension BlockingWork {
    /// The one pool for password hashing in the whole process: sign-in and
    /// password changes (`IdentityService`), policy credentials
    /// (`PolicyService`) and SMTP AUTH (`CredentialChecker`) all queue here,
    /// so however the load mixes, at most two scrypt computations run at once
    /// (≈ 256 MiB and two Dispatch threads at peak) and the cooperative pool
    /// never waits on one. A `static let` rather than a value passed from the
    /// composition root: every service gets the same pool without the
    /// initialisers (and their tests) having to thread it through.
    public static let scrypt = BlockingWork(width: 2)
}
