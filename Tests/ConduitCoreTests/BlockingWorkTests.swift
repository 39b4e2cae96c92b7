import Foundation
import Synchronization
import Testing
@testable import ConduitCore

/// The process-wide scrypt pool runs at most two jobs at once, whoever
/// submits them (issue 12, item 6: one shared, bounded pool).
@Suite struct BlockingWorkTests {
    final class Occupancy: Sendable {
        private let state = Mutex((running: 0, peak: 0))
        func enter() { state.withLock { $0.running += 1; $0.peak = max($0.peak, $0.running) } }
        func leave() { state.withLock { $0.running -= 1 } }
        var peak: Int { state.withLock { $0.peak } }
    }

    @Test func theScryptPoolRunsAtMostTwoAtATime() async throws {
        let occupancy = Occupancy()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await BlockingWork.scrypt.run {
                        occupancy.enter()
                        Thread.sleep(forTimeInterval: 0.05)
                        occupancy.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        // Not necessarily 2: Dispatch may run them one by one on a busy machine.
        #expect((1...2).contains(occupancy.peak))
    }
}
