import ConduitCore
import Glibc
import Logging
import TOMLKit

/// Reads and validates the TOML configuration. Unknown sections and keys,
/// wrong types and unacceptable values are errors that name the key.
public enum ConfigLoader {
    /// The config path when none is given.
    public static let defaultPath = "/etc/conduit/conduit.toml"

    static let sections = ["storage", "api", "smtp", "dns", "delivery", "mail", "log"]

    /// Loads and validates the file at `path`.
    public static func load(path: String) throws(ConfigError) -> ConduitConfig {
        try parse(try readFile(path), path: path)
    }

    /// Validates TOML text; `path` only labels error messages.
    public static func parse(_ text: String, path: String) throws(ConfigError) -> ConduitConfig {
        // Before TOMLKit: toml++ aborts the process on these (TOMLAbortCheck).
        if let bad = TOMLAbortCheck.firstUnsafeSpot(in: text) {
            throw ConfigError.syntax(path: path, line: bad.line, column: bad.column, message: bad.problem)
        }
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError.syntax(path: path, line: error.source.begin.line, column: error.source.begin.column, message: error.description)
        } catch {
            throw ConfigError.syntax(path: path, line: 0, column: 0, message: "\(error)")
        }
        for key in root.keys.sorted() where !sections.contains(key) {
            if root[key]?.table != nil {
                throw ConfigError.unknownSection(path: path, section: key)
            }
            throw ConfigError.unknownKey(path: path, key: key)
        }
        var config = ConduitConfig()
        for name in sections {
            guard let value = root[name] else { continue }
            guard let table = value.table else {
                throw ConfigError.wrongType(path: path, key: name, expected: "a table ([\(name)])", found: TOMLSection.describe(value))
            }
            var section = TOMLSection(path: path, name: name, table: table)
            switch name {
            case "storage": try readStorage(&section, into: &config.storage)
            case "api": try readAPI(&section, into: &config.api)
            case "smtp": try readSMTP(&section, into: &config.smtp)
            case "dns": try readDNS(&section, into: &config.dns)
            case "delivery": try readDelivery(&section, into: &config.delivery)
            case "mail": try readMail(&section, into: &config.mail)
            default: try readLog(&section, into: &config.log)
            }
            if let unknown = section.unknownKeys.first {
                throw ConfigError.unknownKey(path: path, key: unknown)
            }
        }
        return config
    }

    // MARK: Sections

    private static func readStorage(_ s: inout TOMLSection, into storage: inout ConduitConfig.Storage) throws(ConfigError) {
        if let path = try s.string("path") {
            guard !path.isEmpty else { throw s.invalid("path", "must not be empty") }
            storage.path = path
        }
        if let size = try s.int("map_size_mb", in: 1...16_777_216) { storage.mapSizeMB = size }
        if let quota = try s.int("account_quota_mb", in: 0...16_777_216) { storage.accountQuotaMB = quota }
        if let reserve = try s.int("reserve_mb", in: 0...16_777_216) {
            guard reserve < storage.mapSizeMB else {
                throw s.invalid("reserve_mb", "must be smaller than map_size_mb (\(storage.mapSizeMB))")
            }
            storage.reserveMB = reserve
        }
    }

    private static func readAPI(_ s: inout TOMLSection, into api: inout ConduitConfig.API) throws(ConfigError) {
        if let listen = try s.string("listen") { api.listen = try address(listen, key: "listen", in: s) }
        if let url = try s.string("public_url") {
            guard isHTTPURL(url) else { throw s.invalid("public_url", "'\(url)' is not an absolute http:// or https:// URL") }
            api.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        if let issuer = try s.string("totp_issuer") {
            guard !issuer.isEmpty, issuer.utf8.count <= 64, !issuer.contains(":") else {
                throw s.invalid("totp_issuer", "must be 1-64 characters without ':'")
            }
            api.totpIssuer = issuer
        }
        if let seconds = try s.int("idle_timeout_seconds", in: 1...3600) { api.idleTimeoutSeconds = seconds }
        if let count = try s.int("max_connections", in: 1...100_000) { api.maxConnections = count }
    }

    private static func readSMTP(_ s: inout TOMLSection, into smtp: inout ConduitConfig.SMTP) throws(ConfigError) {
        if let listen = try s.string("listen") { smtp.listen = try address(listen, key: "listen", in: s) }
        if let hostname = try s.string("hostname") {
            guard HostPort.isHostName(hostname) else { throw s.invalid("hostname", "'\(hostname)' is not a host name") }
            smtp.hostname = hostname
        }
        if let size = try s.int("max_message_bytes", in: 1024...1_073_741_824) { smtp.maxMessageBytes = size }
        if let count = try s.int("max_recipients", in: 1...10_000) { smtp.maxRecipients = count }
        if let count = try s.int("max_connections", in: 1...100_000) { smtp.maxConnections = count }
        if let count = try s.int("max_connections_per_ip", in: 1...100_000) { smtp.maxConnectionsPerIP = count }
        if let seconds = try s.int("command_timeout_seconds", in: 1...3600) { smtp.commandTimeoutSeconds = seconds }
        if let kib = try s.int("data_memory_kb", in: 0...1_048_576) { smtp.dataMemoryKB = kib }
        if let mib = try s.int("data_buffer_budget_mb", in: 1...65_536) { smtp.dataBufferBudgetMB = mib }
        if let cert = try s.string("tls_cert") { smtp.tlsCert = cert }
        if let key = try s.string("tls_key") { smtp.tlsKey = key }
        if smtp.tlsCert.isEmpty != smtp.tlsKey.isEmpty {
            let missing = smtp.tlsCert.isEmpty ? "tls_cert" : "tls_key"
            throw s.invalid(missing, "tls_cert and tls_key must be set together")
        }
        for (key, file) in [("tls_cert", smtp.tlsCert), ("tls_key", smtp.tlsKey)] where !file.isEmpty {
            if access(file, R_OK) != 0 {
                throw s.invalid(key, "cannot read \(file): \(String(cString: strerror(errno)))")
            }
        }
        if let allow = try s.bool("allow_insecure_auth") { smtp.allowInsecureAuth = allow }
        if let dmarc = try s.bool("dmarc") { smtp.dmarc = dmarc }
        if let domains = try s.stringArray("public_domains") {
            var normalized: [String] = []
            for (index, domain) in domains.enumerated() {
                do {
                    let name = try DomainName.normalize(domain)
                    if !normalized.contains(name) { normalized.append(name) }
                } catch {
                    throw s.invalid("public_domains[\(index)]", "'\(domain)': \(error.reason)")
                }
            }
            smtp.publicDomains = normalized
        }
    }

    private static func readDNS(_ s: inout TOMLSection, into dns: inout ConduitConfig.DNS) throws(ConfigError) {
        if let servers = try s.stringArray("nameservers") {
            var parsed: [HostPort] = []
            for (index, server) in servers.enumerated() {
                do throws(HostPortError) {
                    let address = try HostPort.parse(server, defaultPort: 53)
                    guard address.host != "localhost" else { throw HostPortError("use an IP address for a nameserver") }
                    parsed.append(address)
                } catch {
                    throw s.invalid("nameservers[\(index)]", "'\(server)': \(error.reason)")
                }
            }
            dns.nameservers = parsed
        }
        if let timeout = try s.int("timeout_ms", in: 10...60_000) { dns.timeoutMs = timeout }
    }

    private static func readDelivery(_ s: inout TOMLSection, into d: inout ConduitConfig.Delivery) throws(ConfigError) {
        if let v = try s.int("timeout_ms", in: 100...600_000) { d.timeoutMs = v }
        if let v = try s.int("max_age_hours", in: 1...8760) { d.maxAgeHours = v }
        if let v = try s.int("inline_timeout_ms", in: 0...60_000) { d.inlineTimeoutMs = v }
        if let v = try s.int("retry_initial_ms", in: 10...86_400_000) { d.retryInitialMs = v }
        if let v = try s.int("retry_max_ms", in: 10...86_400_000) { d.retryMaxMs = v }
        if let v = try s.int("max_in_flight_per_webhook", in: 1...1024) { d.maxInFlightPerWebhook = v }
        if let v = try s.int("inflow_backlog", in: 1...1_000_000) { d.inflowBacklog = v }
        if let v = try s.int("inflow_delay_ms", in: 0...60_000) { d.inflowDelayMs = v }
        if let v = try s.int("inflow_slow_post_ms", in: 1...600_000) { d.inflowSlowPostMs = v }
        if let v = try s.bool("allow_private_targets") { d.allowPrivateTargets = v }
        if let v = try s.int("log_retention_days", in: 1...3650) { d.logRetentionDays = v }
        if let v = try s.int("keep_delivered_hours", in: 0...8760) { d.keepDeliveredHours = v }
        guard d.retryInitialMs <= d.retryMaxMs else {
            throw s.invalid("retry_initial_ms", "\(d.retryInitialMs) is larger than retry_max_ms (\(d.retryMaxMs))")
        }
    }

    private static func readMail(_ s: inout TOMLSection, into mail: inout ConduitConfig.Mail) throws(ConfigError) {
        if let host = try s.string("smarthost") {
            if host.isEmpty {
                mail.smarthost = nil
            } else {
                do {
                    mail.smarthost = try HostPort.parse(host, defaultPort: 25, allowHostName: true)
                } catch {
                    throw s.invalid("smarthost", "'\(host)': \(error.reason)")
                }
            }
        }
        if let from = try s.string("from") {
            let parts = from.split(separator: "@", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                  !from.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0.isNewline })
            else { throw s.invalid("from", "'\(from)' is not a mail address") }
            mail.from = from
        }
    }

    private static func readLog(_ s: inout TOMLSection, into log: inout ConduitConfig.Log) throws(ConfigError) {
        if let level = try s.string("level") {
            guard let parsed = Logger.Level(rawValue: level) else {
                throw s.invalid("level", "'\(level)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            log.level = parsed
        }
    }

    // MARK: Helpers

    private static func address(_ text: String, key: String, in s: TOMLSection) throws(ConfigError) -> HostPort {
        do {
            return try HostPort.parse(text)
        } catch {
            throw s.invalid(key, "'\(text)': \(error.reason)")
        }
    }

    static func isHTTPURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else { return false }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !authority.isEmpty && !authority.contains("@") && !url.contains(where: { $0.isWhitespace })
    }

    static func readFile(_ path: String) throws(ConfigError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ConfigError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ConfigError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
            guard bytes.count <= 1 << 20 else { throw ConfigError.unreadable(path: path, reason: "larger than 1 MiB") }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigError.unreadable(path: path, reason: "not UTF-8 text")
        }
        return text
    }
}
