import ConduitStore
import Glibc
public import Logging

/// Everything `/etc/conduit/conduit.toml` can say (the README's configuration reference). Every key is
/// optional; the defaults here are the documented ones. `ConfigLoader` fills
/// it from TOML and validates each value.
public struct ConduitConfig: Sendable, Equatable {
    public struct Storage: Sendable, Equatable {
        /// The LMDB environment directory.
        public var path = "/var/lib/conduit"
        /// The LMDB map size: the most the store can ever hold.
        public var mapSizeMB = 4096
        /// The most one account's mail may take in the spool (bodies of
        /// pending, retrying, failed and dead mail, plus 2 KiB of records
        /// each); past it SMTP answers 452 4.2.2 for its recipients. 0: no quota.
        public var accountQuotaMB = 1024
        /// Free room (MiB) the disk holding `path` and the LMDB map must keep:
        /// below it SMTP answers 452 4.3.1 to new mail, so delivery, outcomes
        /// and cleanup always have room (Postfix's `queue_minfree`). `nil`:
        /// the larger of 64 MiB and 5 % of `map_size_mb`, at most an eighth
        /// of it (`HeadroomRule.defaultReserveBytes`). 0: no reserve.
        public var reserveMB: Int?

        /// `reserve_mb` in bytes, or its default for this map size.
        public var reserveBytes: Int {
            reserveMB.map { $0 << 20 } ?? HeadroomRule.defaultReserveBytes(mapSizeBytes: mapSizeMB << 20)
        }
    }

    public struct API: Sendable, Equatable {
        public var listen = HostPort(host: "127.0.0.1", port: 8080)
        /// Base of links in mail (password reset).
        public var publicURL = "http://127.0.0.1:8080"
        /// The issuer shown in authenticator apps.
        public var totpIssuer = "Conduit"
        /// Seconds a connection may stay idle, or keep a request incomplete,
        /// before it is closed (slowloris).
        public var idleTimeoutSeconds = 60
        /// Connections served at once; more are closed as soon as accepted.
        public var maxConnections = 1000
    }

    public struct SMTP: Sendable, Equatable {
        public var listen = HostPort(host: "0.0.0.0", port: 25)
        /// Banner, EHLO and `Received:` name.
        public var hostname = ConduitConfig.systemHostName()
        public var maxMessageBytes = 26_214_400
        public var maxRecipients = 100
        /// Connections served at once; more are answered 421.
        public var maxConnections = 1000
        /// Connections from one IP address at once (Postfix's default is 50).
        public var maxConnectionsPerIP = 50
        /// Seconds a client may stay silent between commands (RFC 5321 §4.5.3.2).
        public var commandTimeoutSeconds = 300
        /// KiB of one message kept in memory while DATA arrives; the rest
        /// goes to a spill file under `storage.path` (docs/SMTP.md, "Memory").
        public var dataMemoryKB = 256
        /// MiB of DATA held in memory by all connections together; past it
        /// messages spill from their first body byte and connections with
        /// spill writes behind stop reading.
        public var dataBufferBudgetMB = 64
        /// PEM certificate and key; STARTTLS is offered when both are set.
        public var tlsCert = ""
        public var tlsKey = ""
        public var allowInsecureAuth = false
        /// Normalized (A-label) domains any account may use.
        public var publicDomains: [String] = []
        /// Evaluate DMARC and ARC for every message (docs/DMARC.md, "In the server").
        public var dmarc = true
    }

    public struct DNS: Sendable, Equatable {
        /// Empty means the nameservers of /etc/resolv.conf.
        public var nameservers: [HostPort] = []
        public var timeoutMs = 2000
    }

    public struct Delivery: Sendable, Equatable {
        public var timeoutMs = 10_000
        public var maxAgeHours = 72
        public var inlineTimeoutMs = 0
        public var retryInitialMs = 30_000
        public var retryMaxMs = 3_600_000
        public var maxInFlightPerWebhook = 16
        /// Fresh deliveries per webhook above which new recipients wait.
        public var inflowBacklog = 512
        /// The longest such a wait lasts; 0: no flow control.
        public var inflowDelayMs = 1000
        /// A webhook whose POSTs average this long or more is never waited on.
        public var inflowSlowPostMs = 100
        public var allowPrivateTargets = false
        public var logRetentionDays = 30
        /// Hours a delivered message's body is kept for redelivery; 0: removed at once.
        public var keepDeliveredHours = 72
    }

    public struct Mail: Sendable, Equatable {
        /// `host:port` of the relay for outbound mail; empty logs instead of sending.
        public var smarthost: HostPort?
        public var from = "conduit@localhost"
    }

    public struct Log: Sendable, Equatable {
        public var level: Logger.Level = .info
    }

    public var storage = Storage()
    public var api = API()
    public var smtp = SMTP()
    public var dns = DNS()
    public var delivery = Delivery()
    public var mail = Mail()
    public var log = Log()

    public init() {}

    /// The machine's host name, the default SMTP greeting name.
    static func systemHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
