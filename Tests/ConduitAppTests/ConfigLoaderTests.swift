import Foundation
import Logging
import Testing
@testable import ConduitApp

@Suite struct ConfigLoaderTests {
    func parse(_ text: String) throws(ConfigError) -> ConduitConfig {
        try ConfigLoader.parse(text, path: "test.toml")
    }

    @Test func emptyFileGivesDocumentedDefaults() throws {
        let config = try parse("")
        #expect(config.storage.path == "/var/lib/conduit")
        #expect(config.storage.mapSizeMB == 4096)
        #expect(config.api.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(config.api.publicURL == "http://127.0.0.1:8080")
        #expect(config.api.totpIssuer == "Conduit")
        #expect(config.smtp.listen == HostPort(host: "0.0.0.0", port: 25))
        #expect(config.smtp.maxMessageBytes == 26_214_400)
        #expect(config.smtp.maxRecipients == 100)
        #expect(config.smtp.tlsCert.isEmpty && config.smtp.tlsKey.isEmpty)
        #expect(config.smtp.allowInsecureAuth == false)
        #expect(config.dns.nameservers.isEmpty && config.dns.timeoutMs == 2000)
        #expect(config.delivery.timeoutMs == 10_000)
        #expect(config.delivery.maxAgeHours == 72)
        #expect(config.delivery.inlineTimeoutMs == 0)
        #expect(config.delivery.retryInitialMs == 30_000 && config.delivery.retryMaxMs == 3_600_000)
        #expect(config.delivery.maxInFlightPerWebhook == 16)
        #expect(config.delivery.inflowSlowPostMs == 100)
        #expect(config.delivery.allowPrivateTargets == false)
        #expect(config.delivery.logRetentionDays == 30)
        #expect(config.mail.smarthost == nil && config.mail.from == "conduit@localhost")
        #expect(config.log.level == .info)
    }

    @Test func fullFileIsRead() throws {
        let config = try parse("""
            [storage]
            path = "./data"
            map_size_mb = 512
            [api]
            listen = "[::1]:9090"
            public_url = "https://conduit.example.com/"
            totp_issuer = "Example"
            [smtp]
            listen = "0.0.0.0:2525"
            hostname = "mx.example.com"
            max_message_bytes = 1048576
            max_recipients = 5
            max_connections = 50
            command_timeout_seconds = 60
            allow_insecure_auth = true
            public_domains = ["Bücher.Example", "mail.example.org.", "mail.example.org"]
            [dns]
            nameservers = ["127.0.0.1:5353", "[::1]", "9.9.9.9"]
            timeout_ms = 500
            [delivery]
            timeout_ms = 2000
            max_age_hours = 1
            inline_timeout_ms = 3000
            retry_initial_ms = 100
            retry_max_ms = 1000
            max_in_flight_per_webhook = 4
            allow_private_targets = true
            log_retention_days = 7
            keep_delivered_hours = 0
            [mail]
            smarthost = "smtp.example.com:587"
            from = "noreply@example.com"
            [log]
            level = "debug"
            """)
        #expect(config.storage == .init(path: "./data", mapSizeMB: 512))
        #expect(config.api.listen == HostPort(host: "::1", port: 9090))
        #expect(config.api.publicURL == "https://conduit.example.com")
        #expect(config.smtp.publicDomains == ["xn--bcher-kva.example", "mail.example.org"])
        #expect(config.smtp.maxConnections == 50 && config.smtp.commandTimeoutSeconds == 60)
        #expect(config.dns.nameservers == [HostPort(host: "127.0.0.1", port: 5353), HostPort(host: "::1", port: 53), HostPort(host: "9.9.9.9", port: 53)])
        #expect(config.delivery.inlineTimeoutMs == 3000 && config.delivery.allowPrivateTargets)
        #expect(config.delivery.keepDeliveredHours == 0 && ConduitConfig().delivery.keepDeliveredHours == 72)
        #expect(config.mail.smarthost == HostPort(host: "smtp.example.com", port: 587))
        #expect(config.log.level == .debug)
    }

    @Test func sampleConfigsInTheRepositoryAreValid() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let production = try ConfigLoader.load(path: root.appendingPathComponent("etc/conduit.toml").path)
        #expect(production.smtp.listen.port == 25)
        let dev = try ConfigLoader.load(path: root.appendingPathComponent("etc/conduit.dev.toml").path)
        #expect(dev.api.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(dev.smtp.listen == HostPort(host: "127.0.0.1", port: 2525))
        #expect(dev.storage.path == "./data")
        #expect(dev.delivery.allowPrivateTargets)
    }

    // MARK: Each kind of bad

    @Test func syntaxErrorsGiveLineAndColumn() {
        #expect {
            try parse("[smtp]\nlisten = \n")
        } throws: { error in
            guard case let .syntax(path, line, _, _) = error as? ConfigError else { return false }
            return path == "test.toml" && line == 2
        }
    }

    @Test(arguments: [
        ("[smtp]\nlisten_port = 25", ConfigError.unknownKey(path: "test.toml", key: "smtp.listen_port")),
        ("[storage]\npath = \"/x\"\nmapsize = 1", .unknownKey(path: "test.toml", key: "storage.mapsize")),
        ("[smtpd]\nlisten = \"0.0.0.0:25\"", .unknownSection(path: "test.toml", section: "smtpd")),
        ("verbose = true", .unknownKey(path: "test.toml", key: "verbose")),
    ])
    func unknownNamesAreErrors(text: String, expected: ConfigError) {
        #expect(throws: expected) { try parse(text) }
    }

    @Test(arguments: [
        ("[smtp]\nmax_recipients = \"100\"", "smtp.max_recipients", "an integer", "a string"),
        ("[smtp]\nallow_insecure_auth = 1", "smtp.allow_insecure_auth", "true or false", "an integer"),
        ("[api]\nlisten = 8080", "api.listen", "a string", "an integer"),
        ("[storage]\nmap_size_mb = 1.5", "storage.map_size_mb", "an integer", "a float"),
        ("[smtp]\npublic_domains = \"example.com\"", "smtp.public_domains", "an array of strings", "a string"),
        ("[smtp]\npublic_domains = [\"a.com\", 2]", "smtp.public_domains[1]", "a string", "an integer"),
        ("smtp = 5", "smtp", "a table ([smtp])", "an integer"),
    ])
    func wrongTypesNameTheKey(text: String, key: String, expected: String, found: String) {
        #expect(throws: ConfigError.wrongType(path: "test.toml", key: key, expected: expected, found: found)) { try parse(text) }
    }

    @Test(arguments: [
        ("[smtp]\nlisten = \"0.0.0.0\"", "smtp.listen"),
        ("[smtp]\nlisten = \"300.1.1.1:25\"", "smtp.listen"),
        ("[smtp]\nlisten = \"0.0.0.0:70000\"", "smtp.listen"),
        ("[smtp]\nlisten = \"::1:25\"", "smtp.listen"),
        ("[smtp]\nlisten = \"mail.example.com:25\"", "smtp.listen"),
        ("[api]\nlisten = \"[::1:8080\"", "api.listen"),
        ("[api]\npublic_url = \"ftp://x\"", "api.public_url"),
        ("[api]\npublic_url = \"http://user@host\"", "api.public_url"),
        ("[api]\ntotp_issuer = \"a:b\"", "api.totp_issuer"),
        ("[smtp]\nhostname = \"bad host\"", "smtp.hostname"),
        ("[smtp]\nmax_message_bytes = 0", "smtp.max_message_bytes"),
        ("[smtp]\nmax_recipients = -1", "smtp.max_recipients"),
        ("[smtp]\npublic_domains = [\"ok.example\", \"ex_ample.com\"]", "smtp.public_domains[1]"),
        ("[smtp]\ntls_cert = \"/etc/hostname\"", "smtp.tls_key"),
        ("[smtp]\ntls_cert = \"/nonexistent/cert.pem\"\ntls_key = \"/nonexistent/key.pem\"", "smtp.tls_cert"),
        ("[dns]\nnameservers = [\"dns.google\"]", "dns.nameservers[0]"),
        ("[dns]\ntimeout_ms = 0", "dns.timeout_ms"),
        ("[delivery]\nretry_initial_ms = 5000\nretry_max_ms = 1000", "delivery.retry_initial_ms"),
        ("[delivery]\ninline_timeout_ms = -5", "delivery.inline_timeout_ms"),
        ("[delivery]\nkeep_delivered_hours = -1", "delivery.keep_delivered_hours"),
        ("[delivery]\nkeep_delivered_hours = 8761", "delivery.keep_delivered_hours"),
        ("[delivery]\ninflow_slow_post_ms = 0", "delivery.inflow_slow_post_ms"),
        ("[mail]\nsmarthost = \"relay:notaport\"", "mail.smarthost"),
        ("[mail]\nfrom = \"not an address\"", "mail.from"),
        ("[log]\nlevel = \"loud\"", "log.level"),
        ("[storage]\npath = \"\"", "storage.path"),
        ("[storage]\nmap_size_mb = 8\nreserve_mb = 8", "storage.reserve_mb"),
        ("[storage]\nreserve_mb = 4096", "storage.reserve_mb"),
        ("[storage]\nreserve_mb = -1", "storage.reserve_mb"),
    ])
    func badValuesNameTheKey(text: String, key: String) {
        #expect {
            try parse(text)
        } throws: { error in
            guard case let .invalidValue(_, reportedKey, reason) = error as? ConfigError else { return false }
            return reportedKey == key && !reason.isEmpty
        }
    }

    @Test func unreadableFileIsReported() {
        #expect {
            try ConfigLoader.load(path: "/nonexistent/conduit.toml")
        } throws: { error in
            (error as? ConfigError)?.description == "/nonexistent/conduit.toml: cannot read configuration: No such file or directory"
        }
    }

    @Test func messagesAreReadable() {
        #expect(ConfigError.unknownKey(path: "/etc/conduit/conduit.toml", key: "smtp.foo").description
            == "/etc/conduit/conduit.toml: unknown key smtp.foo")
        #expect(ConfigError.wrongType(path: "c.toml", key: "smtp.max_recipients", expected: "an integer", found: "a string").description
            == "c.toml: smtp.max_recipients: expected an integer, found a string")
    }
}
