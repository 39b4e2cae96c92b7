import Logging
import Testing
@testable import ConduitApp

@Suite struct ReloadPlanTests {
    @Test func liveKeysAreAppliedTheRestWaitsForARestart() {
        let running = ConduitConfig()
        var loaded = running
        loaded.log.level = .debug
        loaded.smtp.publicDomains = ["example.org"]
        loaded.storage.path = "/srv/conduit"
        loaded.delivery.timeoutMs = 5000
        let plan = ReloadPlan.make(running: running, loaded: loaded)
        #expect(plan.applied == ["smtp.public_domains", "log.level"])
        #expect(plan.needsRestart == ["storage.path", "delivery.timeout_ms"])
        #expect(plan.running.log.level == .debug)
        #expect(plan.running.smtp.publicDomains == ["example.org"])
        // The running server still uses the old path: a later reload reports it again.
        #expect(plan.running.storage.path == running.storage.path)
        #expect(ReloadPlan.make(running: plan.running, loaded: loaded).needsRestart == ["storage.path", "delivery.timeout_ms"])
    }

    @Test func noChangeReloadsNothing() {
        let plan = ReloadPlan.make(running: ConduitConfig(), loaded: ConduitConfig())
        #expect(plan.applied.isEmpty && plan.needsRestart.isEmpty)
    }
}
