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
