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
    let settings: IngressSettings
    let logger: Logger
    let metrics = IngressMetrics()
    /// Called after each spool commit (wakes the delivery worker).
    let onSpooled: @Sendable (_ messageID: String) -> Void

    public init(
        store: Store,
        spool: SpoolWriter,
        resolver: any DNSResolving,
        settings: IngressSettings,
        logger: Logger,
        onSpooled: @escaping @Sendable (_ messageID: String) -> Void = { _ in }
    ) {
        self.store = store
        self.spool = spool
        self.spf = SPFChecker(resolver: resolver, logger: logger, receiver: settings.hostname)
        self.dkim = DKIMVerifier(resolver: resolver, logger: logger)
        self.credentials = CredentialChecker(store: store)
        self.settings = settings
        self.logger = logger
        self.onSpooled = onSpooled
    }

    public func makeSession(for connection: SMTPConnectionInfo) -> any SMTPBackendSession {
        var logger = logger
        logger[metadataKey: "peer"] = "\(connection.remoteIP)"
        return IngressSession(backend: self, connection: connection, logger: logger)
    }
}
