import Logging
import Testing
@testable import ConduitApp

@Suite struct ConfigKeysTests {
    @Test func propertyNamesBecomeTOMLKeys() {
        #expect(ConfigKeys.snakeCase("mapSizeMB") == "map_size_mb")
        #expect(ConfigKeys.snakeCase("maxConnectionsPerIP") == "max_connections_per_ip")
        #expect(ConfigKeys.snakeCase("publicURL") == "public_url")
        #expect(ConfigKeys.snakeCase("timeoutMs") == "timeout_ms")
        #expect(ConfigKeys.snakeCase("api") == "api")
    }

    @Test func everyKeyTheLoaderKnowsIsListed() throws {
        let keys = ConfigKeys.all()
        #expect(keys.count == Set(keys).count)
        // Each listed key is accepted by the loader (an unknown one would be refused by name).
        for key in keys {
            let parts = key.split(separator: ".")
            #expect(parts.count == 2, "\(key)")
        }
        #expect(keys.contains("storage.path"))
        #expect(keys.contains("smtp.max_connections_per_ip"))
        #expect(keys.contains("delivery.allow_private_targets"))
        #expect(keys.contains("mail.smarthost"))
        #expect(keys.contains("log.level"))
    }

    @Test func changedKeysAreExactlyTheDifferingOnes() throws {
        let old = ConduitConfig()
        var new = old
        #expect(ConfigKeys.changed(from: old, to: new).isEmpty)
        new.smtp.listen = HostPort(host: "127.0.0.1", port: 2525)
        new.log.level = .debug
        new.mail.smarthost = HostPort(host: "relay", port: 25)
        #expect(ConfigKeys.changed(from: old, to: new) == ["smtp.listen", "mail.smarthost", "log.level"])
    }
}

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
