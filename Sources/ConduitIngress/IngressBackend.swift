public import ConduitDelivery
public import ConduitDNS
public import ConduitSMTP
public import ConduitStore
public import Logging
public import NIOCore
import ConduitCore
import ConduitPolicy

/// The SMTP backend: recipients and policies behind the SMTP protocol, and
/// the hand-over to the spool (Postfix's smtpd → cleanup → queue, as one
/// step: the 250 after DATA is sent only once `MessageSpool.accept` returned).
public final class IngressBackend: SMTPBackend {
    let store: Store
    /// Delivery's intake: builds the records, commits, wakes the engine or
    /// runs the inline first attempt.
    let spool: MessageSpool
    let spf: SPFChecker
    let dkim: DKIMVerifier
    let dmarc: DMARCEvaluator
    let arc: ARCVerifier
    let credentials: CredentialChecker
    /// The policy checks run at each SMTP stage, in order (`IngressChecks`).
    let checks: [any IngressCheck]
    let settings: IngressSettings
    /// The reserve new mail may not eat into (`settings.storageReserveBytes`).
    let headroom: StorageHeadroom
    let logger: Logger
    let metrics = IngressMetrics()

    public init(
        store: Store,
        spool: MessageSpool,
        resolver: any DNSResolving,
        settings: IngressSettings,
        logger: Logger,
        checks: [any IngressCheck] = IngressChecks.standard
    ) {
        self.store = store
        self.spool = spool
        self.spf = SPFChecker(resolver: resolver, logger: logger, receiver: settings.hostname)
        self.dkim = DKIMVerifier(resolver: resolver, logger: logger)
        self.dmarc = DMARCEvaluator(resolver: resolver, logger: logger)
        self.arc = ARCVerifier(resolver: resolver, logger: logger)
        self.credentials = CredentialChecker(store: store)
        self.checks = checks
        self.settings = settings
        self.headroom = StorageHeadroom(store: store, rule: HeadroomRule(reserveBytes: settings.storageReserveBytes))
        self.logger = logger
    }

    public func makeSession(for connection: SMTPConnectionInfo, on eventLoop: any EventLoop) -> any SMTPBackendSession {
        var logger = logger
        logger[metadataKey: "peer"] = "\(connection.remoteIP)"
        return IngressSession(backend: self, connection: connection, eventLoop: eventLoop, logger: logger)
    }
}
