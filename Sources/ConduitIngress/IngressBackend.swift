public import ConduitDNS
public import ConduitSMTP
public import ConduitStore
public import Logging
import ConduitCore
import ConduitPolicy

/// The SMTP backend: recipients, policies and the spool behind the SMTP
/// protocol (Postfix's smtpd → cleanup → queue, as one step: the 250 after
/// DATA is sent only once the spool commit returned).
public final class IngressBackend: SMTPBackend {
    let store: Store
    let spool: SpoolWriter
    let spf: SPFChecker
    let dkim: DKIMVerifier
    let credentials: CredentialChecker
    /// The policy checks run at each SMTP stage, in order (`IngressChecks`).
    let checks: [any IngressCheck]
    let settings: IngressSettings
    /// The reserve new mail may not eat into (`settings.storageReserveBytes`).
    let headroom: StorageHeadroom
    let logger: Logger
    let metrics = IngressMetrics()
    /// Called after each spool commit, before the reply: wakes the delivery
    /// engine, or runs the inline first attempt (docs/DELIVERY.md, "The inline first attempt").
    let afterSpool: @Sendable (_ messageID: String) async -> AfterSpoolVerdict

    public init(
        store: Store,
        spool: SpoolWriter,
        resolver: any DNSResolving,
        settings: IngressSettings,
        logger: Logger,
        checks: [any IngressCheck] = IngressChecks.standard,
        afterSpool: @escaping @Sendable (_ messageID: String) async -> AfterSpoolVerdict = { _ in .accept }
    ) {
        self.store = store
        self.spool = spool
        self.spf = SPFChecker(resolver: resolver, logger: logger, receiver: settings.hostname)
        self.dkim = DKIMVerifier(resolver: resolver, logger: logger)
        self.credentials = CredentialChecker(store: store)
        self.checks = checks
        self.settings = settings
        self.headroom = StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: settings.storageReserveBytes))
        self.logger = logger
        self.afterSpool = afterSpool
    }

    public func makeSession(for connection: SMTPConnectionInfo) -> any SMTPBackendSession {
        var logger = logger
        logger[metadataKey: "peer"] = "\(connection.remoteIP)"
        return IngressSession(backend: self, connection: connection, logger: logger)
    }
}

/// What the SMTP client hears about a message that is already spooled.
public enum AfterSpoolVerdict: Sendable, Equatable {
    /// `250`: delivered or queued for delivery.
    case accept
    /// `550`: the inline first attempt failed permanently for every
    /// recipient (the endpoint's answer is in `reason`), so the sender gets a
    /// bounce instead of a silent loss.
    case reject(reason: String)
}
