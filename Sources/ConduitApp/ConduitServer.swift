import ConduitAPI
import ConduitCore
import ConduitDelivery
import ConduitDNS
import ConduitDomains
import ConduitIdentity
import ConduitIngress
import ConduitWebhooks
import ConduitSMTP
import ConduitStore
import Hummingbird
public import Logging
import Metrics
public import Prometheus
import ServiceLifecycle
import UnixSignals

/// The composition root: the only place that names concrete types. Opens the
/// store, builds the API and SMTP listeners, runs them in one ServiceGroup
/// until SIGTERM/SIGINT, then closes the store.
public enum ConduitServer {
    /// Serves until a shutdown signal; throws when the store cannot be opened
    /// or a listener cannot bind. `configPath` is re-read on SIGHUP; `live`
    /// holds the settings a reload changes (the log handlers read it too).
    public static func run(
        config: ConduitConfig, configPath: String, live: LiveSettings, logger: Logger, metrics: PrometheusCollectorRegistry
    ) async throws {
        logger.info("Conduit starting", metadata: ["version": "\(ConduitVersion.string)", "storage": "\(config.storage.path)"])
        // Before any listener: connections held on one must not starve the other.
        let openFileLimit = FileDescriptorBudget.raiseSoftLimit()
        try FileDescriptorBudget.check(config, limit: openFileLimit, path: configPath)
        logger.debug("open-file limit", metadata: ["limit": "\(openFileLimit)", "needed": "\(FileDescriptorBudget.needed(by: config))"])
        let notifier = ServiceNotifier(logger: logger)
        notifier.status("Starting: opening the store")
        let store = try Store(path: config.storage.path, mapSizeBytes: config.storage.mapSizeMB << 20, schema: AppSchema.current)
        defer {
            store.close()
            logger.info("store closed")
        }
        logger.info("store open", metadata: ["schema_version": "\(store.schemaVersion)"])
        // Spill files of messages larger than smtp.data_memory_kb (docs/SMTP.md, "Memory").
        let spillDirectory = config.storage.path + "/spill"
        try SMTPDataSettings.prepareSpillDirectory(spillDirectory)

        let readyStatus: @Sendable () -> String = { "Ready: SMTP on \(config.smtp.listen), API on \(config.api.listen)" }
        let readiness = Readiness(store: store) {
            logger.info("Conduit ready", metadata: ["api": "\(config.api.listen)", "smtp": "\(config.smtp.listen)"])
            // READY=1 only now: the store is open, the spool recovered and both listeners bound.
            notifier.ready(status: readyStatus())
        }

        // Before anything that must be shut down (the webhook HTTP client) exists.
        let tls: SMTPTLSProvider?
        do {
            tls = try config.smtp.tlsCert.isEmpty ? nil : SMTPTLSProvider(certificatePath: config.smtp.tlsCert, keyPath: config.smtp.tlsKey)
        } catch {
            // A certificate that does not parse is a config error (exit 78), not a crash to restart from.
            throw ConfigError.invalidValue(path: configPath, key: "smtp.tls_cert", reason: "cannot load the certificate and key: \(error)")
        }

        let identityLogger = logger.with(service: "identity")
        let mailer: any Mailer = if let relay = config.mail.smarthost {
            SMTPMailer(client: SMTPClient(host: relay.host, port: relay.port, heloName: config.smtp.hostname), hostname: config.smtp.hostname)
        } else {
            LogMailer(logger: identityLogger)
        }
        let identity = try IdentityService(
            store: store,
            settings: IdentitySettings(totpIssuer: config.api.totpIssuer, publicURL: config.api.publicURL, mailFrom: config.mail.from),
            mailer: mailer,
            logger: identityLogger,
            ownedDataRemovers: [
                // The spool first: its deliveries are found through the account's webhooks.
                { txn, accountID in try txn.removeSpool(ofAccount: accountID) },
                { txn, accountID in try WebhookService.removeWebhooks(of: accountID, in: txn) },
                { txn, accountID in try PolicyService.removePolicies(of: accountID, in: txn) },
                { txn, accountID in try DomainService.removeDomains(of: accountID, in: txn) },
            ]
        )

        let nameservers = config.dns.nameservers.isEmpty
            ? DNSResolver.systemNameservers()
            : config.dns.nameservers.map { DNSResolver.Nameserver(host: $0.host, port: $0.port) }
        let resolver = DNSResolver(nameservers: nameservers, timeout: .milliseconds(config.dns.timeoutMs), logger: logger.with(service: "dns"))
        let domains = DomainService(store: store, resolver: resolver, logger: logger.with(service: "domains"))
        try domains.syncPublicDomains(config.smtp.publicDomains)
        let policies = PolicyService(store: store, logger: logger.with(service: "policies"))
        let webhooks = WebhookService(store: store, logger: logger.with(service: "webhooks"))

        let deliveryLogger = logger.with(service: "delivery")
        let webhookClient = WebhookHTTPClient(
            policy: EgressPolicy(allowPrivateTargets: config.delivery.allowPrivateTargets),
            resolver: TargetResolver(resolver: resolver),
            maxConnectionsPerHost: config.delivery.maxInFlightPerWebhook, logger: deliveryLogger
        )
        let engine = DeliveryEngine(
            store: store,
            client: webhookClient,
            settings: DeliverySettings(
                timeout: .milliseconds(config.delivery.timeoutMs),
                schedule: RetrySchedule(
                    initial: .milliseconds(config.delivery.retryInitialMs),
                    maximum: .milliseconds(max(config.delivery.retryMaxMs, config.delivery.retryInitialMs)),
                    maxAge: .seconds(config.delivery.maxAgeHours * 3600)
                ),
                maxInFlightPerWebhook: config.delivery.maxInFlightPerWebhook,
                userAgent: "Conduit/\(ConduitVersion.string)",
                inflow: InflowControl.Settings(
                    highWater: config.delivery.inflowBacklog, maxDelay: .milliseconds(config.delivery.inflowDelayMs),
                    slowPost: .milliseconds(config.delivery.inflowSlowPostMs)
                ),
                keepDelivered: .seconds(config.delivery.keepDeliveredHours * 3600),
                linkBase: config.api.publicURL
            ),
            logger: deliveryLogger,
            onRecovered: { readiness.spoolRecovered() }
        )
        let inlineTimeout = config.delivery.inlineTimeoutMs

        let storeMapBytes = Gauge(label: "conduit_store_map_bytes")
        let storeUsedBytes = Gauge(label: "conduit_store_used_bytes")
        let redeliveries = RedeliveryService(store: store, logger: logger.with(service: "webhooks")) { engine.notifySpooled() }
        let router = APIRouter.build(
            identity: identity, domains: domains, policies: policies, webhooks: webhooks, simulator: engine, redeliveries: redeliveries,
            links: PayloadLinkServer(store: store),
            health: readiness, metrics: metrics,
            headroom: StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: config.storage.reserveBytes))
        ) {
            if let usage = store.usage() {
                storeMapBytes.record(usage.mapSizeBytes)
                storeUsedBytes.record(usage.usedBytes)
            }
        }
        let apiLogger = logger.with(service: "api")
        let api = Application(
            router: router,
            server: APIListener.http1(idleTimeout: .seconds(config.api.idleTimeoutSeconds), maxConnections: config.api.maxConnections),
            configuration: .init(address: .hostname(config.api.listen.host, port: config.api.listen.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? config.api.listen.port
                apiLogger.info("API listening", metadata: ["address": "\(HostPort(host: config.api.listen.host, port: port))"])
                readiness.apiListening(true)
            },
            logger: apiLogger
        )

        let smtpLogger = logger.with(service: "smtp")
        // The intake leases a message's deliveries in its spool transaction
        // and starts them itself once that is durable; it wakes the engine
        // only for mail it left pending (docs/DELIVERY.md, "Leasing at spool time").
        let spoolWriter = SpoolWriter(store: store)
        defer { spoolWriter.shutdown() }
        let quotaBytes = config.storage.accountQuotaMB > 0 ? config.storage.accountQuotaMB << 20 : nil
        let spool = MessageSpool(
            store: store, writer: spoolWriter,
            settings: MessageSpool.Settings(accountQuotaBytes: quotaBytes, inlineTimeout: .milliseconds(inlineTimeout)),
            engine: engine
        )
        let ingress = IngressBackend(
            store: store,
            spool: spool,
            resolver: resolver,
            settings: IngressSettings(
                hostname: config.smtp.hostname,
                accountQuotaBytes: quotaBytes,
                storageReserveBytes: config.storage.reserveBytes,
                evaluateDMARC: config.smtp.dmarc
            ),
            logger: logger.with(service: "ingress")
        )
        let smtp = SMTPServer(
            configuration: SMTPServerConfiguration(
                host: config.smtp.listen.host,
                port: config.smtp.listen.port,
                session: .init(
                    hostname: config.smtp.hostname,
                    maxMessageBytes: config.smtp.maxMessageBytes,
                    maxRecipients: config.smtp.maxRecipients,
                    tlsAvailable: tls != nil,
                    allowInsecureAuth: config.smtp.allowInsecureAuth,
                    makeID: { Identifier.generate().rawValue }
                ),
                maxConnections: config.smtp.maxConnections,
                maxConnectionsPerIP: config.smtp.maxConnectionsPerIP,
                commandTimeout: .seconds(config.smtp.commandTimeoutSeconds),
                tls: tls,
                data: SMTPDataSettings(
                    memoryThreshold: config.smtp.dataMemoryKB << 10,
                    budget: DataBufferBudget(limit: config.smtp.dataBufferBudgetMB << 20),
                    spillDirectory: spillDirectory
                )
            ),
            backend: ingress,
            logger: smtpLogger,
            onListening: { _, _ in readiness.smtpListening(true) }
        )

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: api, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: engine, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                    // After the engine: services stop in reverse order, so SMTP
                    // stops taking mail before the engine stops delivering.
                    .init(service: smtp, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: ExpiryJanitor(
                        identity: identity, webhooks: webhooks, logRetention: { .seconds(live.logRetentionDays * 86_400) },
                        interval: .seconds(600), logger: identityLogger
                    )),
                    .init(service: ConfigReloader(
                        path: configPath, initial: config, live: live, tls: tls,
                        syncPublicDomains: { try domains.syncPublicDomains($0) },
                        notifier: notifier, readyStatus: readyStatus, logger: logger
                    )),
                    .init(service: WatchdogService(notifier: notifier)),
                    // Last: shut down first, so STOPPING=1 goes out as SIGTERM arrives.
                    .init(service: StoppingNotifier(notifier: notifier)),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
        } catch {
            await webhookClient.shutdown()
            throw error
        }
        await webhookClient.shutdown()
        readiness.apiListening(false)
        readiness.smtpListening(false)
        logger.info("Conduit stopped")
    }
}

extension Logger {
    fileprivate func with(service: String) -> Logger {
        var copy = self
        copy[metadataKey: "service"] = "\(service)"
        return copy
    }
}
