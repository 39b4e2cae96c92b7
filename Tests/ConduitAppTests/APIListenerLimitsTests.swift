import Testing
@testable import ConduitApp

/// `api.idle_timeout_seconds`, `api.max_connections` and the open-file budget
/// that keeps the API from starving SMTP of descriptors.
@Suite struct APIListenerLimitsTests {
    func parse(_ text: String) throws(ConfigError) -> ConduitConfig {
        try ConfigLoader.parse(text, path: "test.toml")
    }

    @Test func defaultsAreDocumented() throws {
        let config = try parse("")
        #expect(config.api.idleTimeoutSeconds == 60)
        #expect(config.api.maxConnections == 1000)
    }

    @Test func keysAreRead() throws {
        let config = try parse("[api]\nidle_timeout_seconds = 2\nmax_connections = 20\n")
        #expect(config.api.idleTimeoutSeconds == 2)
        #expect(config.api.maxConnections == 20)
    }

    @Test(arguments: [
        ("idle_timeout_seconds = 0", "api.idle_timeout_seconds"),
        ("idle_timeout_seconds = 3601", "api.idle_timeout_seconds"),
        ("max_connections = 0", "api.max_connections"),
        ("max_connections = \"many\"", "api.max_connections"),
    ])
    func badValuesNameTheKey(line: String, key: String) {
        #expect {
            try parse("[api]\n\(line)\n")
        } throws: { error in
            switch error as? ConfigError {
            case let .invalidValue(_, named, _), let .wrongType(_, named, _, _): named == key
            default: false
            }
        }
    }

    @Test func defaultsFitTheUnitsOpenFileLimit() throws {
        // systemd/conduit.service sets LimitNOFILE=65536.
        try FileDescriptorBudget.check(ConduitConfig(), limit: 65536, path: "test.toml")
        #expect(FileDescriptorBudget.needed(by: ConduitConfig()) == 1000 + 2 * 1000 + FileDescriptorBudget.reserved)
    }

    @Test func connectionCapsBeyondTheOpenFileLimitAreRefused() throws {
        var config = ConduitConfig()
        config.api.maxConnections = 50_000
        config.smtp.maxConnections = 20_000
        #expect {
            try FileDescriptorBudget.check(config, limit: 65536, path: "test.toml")
        } throws: { error in
            guard case let .invalidValue(path, key, reason) = error as? ConfigError else { return false }
            return path == "test.toml" && key == "api.max_connections" && reason.contains("65536")
        }
        // Exactly at the limit is fine.
        try FileDescriptorBudget.check(config, limit: FileDescriptorBudget.needed(by: config), path: "test.toml")
    }

    @Test func softLimitIsRaisedToTheHardLimit() {
        let limit = FileDescriptorBudget.raiseSoftLimit()
        #expect(limit >= 1024)
        #expect(FileDescriptorBudget.raiseSoftLimit() == limit)
    }
}
