import ConduitStore
import Foundation
import Synchronization
import Testing
@testable import ConduitApp

/// READY=1 (the `onReady` callback) fires once, and only when the API and
/// SMTP listeners are bound and the spool has been recovered, in any order.
@Suite struct ReadinessTests {
    final class Count: Sendable {
        let value = Mutex(0)
    }

    @Test func readyOnlyWhenListenersAndSpoolAreUp() throws {
        let directory = NSTemporaryDirectory() + "conduit-readiness-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(path: directory, mapSizeBytes: 16 << 20, schema: AppSchema.current)
        defer { store.close() }
        let count = Count()
        let readiness = Readiness(store: store) { count.value.withLock { $0 += 1 } }
        readiness.smtpListening(true)
        readiness.apiListening(true)
        #expect(count.value.withLock { $0 } == 0, "the spool is not recovered yet")
        readiness.spoolRecovered()
        #expect(count.value.withLock { $0 } == 1)
        readiness.spoolRecovered()
        readiness.apiListening(true)
        #expect(count.value.withLock { $0 } == 1, "once only")
    }
}
