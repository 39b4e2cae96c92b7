import Testing
@testable import ConduitApp

@Suite struct WatchdogIntervalTests {
    @Test func pingsAtHalfTheInterval() {
        #expect(WatchdogInterval.from(usec: "30000000", pid: nil, ownPID: 42) == .seconds(15))
        #expect(WatchdogInterval.from(usec: "30000000", pid: "42", ownPID: 42) == .seconds(15))
    }

    @Test func noWatchdogWhenUnsetInvalidOrForAnotherProcess() {
        #expect(WatchdogInterval.from(usec: nil, pid: nil, ownPID: 42) == nil)
        #expect(WatchdogInterval.from(usec: "0", pid: nil, ownPID: 42) == nil)
        #expect(WatchdogInterval.from(usec: "soon", pid: nil, ownPID: 42) == nil)
        #expect(WatchdogInterval.from(usec: "30000000", pid: "7", ownPID: 42) == nil)
    }
}
