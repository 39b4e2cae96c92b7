public import ConduitCore
public import ConduitStore
public import Foundation

/// One message the ingress hands to the spool (`MessageSpool.accept`): the
/// SMTP envelope and what the policy checks found, the recipients accepted
/// with their webhooks, the recipients refused at ingress with the reason
/// (they get a log row, not a delivery), and the raw body. Facts only: which
/// records they become and when the first attempt is are delivery's rules.
public struct SpoolSubmission: Sendable {
    /// The queue id (an `Identifier`), also the spool key.
    public var id: String
    /// When DATA ended.
    public var receivedAt: Date
    /// MAIL FROM; `""` is the null sender.
    public var mailFrom: String
    public var remoteIP: String
    public var helo: String
    public var tls: Bool
    public var authUser: String?
    public var spf: SpooledSPF?
    public var dkim: [SpooledDKIM]
    /// The DMARC and ARC verdicts and who made them (`nil`: not evaluated).
    public var dmarc: SpooledDMARC?
    public var arc: SpooledARC?
    public var authservID: String?
    /// The `Message-ID` header as written, for the log rows.
    public var smtpMessageID: String?
    /// One delivery each.
    public var recipients: [SpooledRecipient]
    /// One log row each (`not delivered: <reason>`), no delivery.
    public var refused: [Refusal]
    /// The raw RFC 5322 bytes, written to `spool_bodies` as they are.
    public var body: any SpoolBody

    /// A recipient the ingress turned away after DATA (e.g. DKIM), and why.
    public struct Refusal: Sendable, Equatable {
        public var recipient: SpooledRecipient
        public var reason: String

        public init(recipient: SpooledRecipient, reason: String) {
            self.recipient = recipient
            self.reason = reason
        }
    }

    public init(
        id: String, receivedAt: Date, mailFrom: String, remoteIP: String, helo: String, tls: Bool, authUser: String?,
        spf: SpooledSPF?, dkim: [SpooledDKIM], smtpMessageID: String?, recipients: [SpooledRecipient],
        refused: [Refusal] = [], body: any SpoolBody, dmarc: SpooledDMARC? = nil, arc: SpooledARC? = nil, authservID: String? = nil
    ) {
        self.dmarc = dmarc
        self.arc = arc
        self.authservID = authservID
        self.id = id
        self.receivedAt = receivedAt
        self.mailFrom = mailFrom
        self.remoteIP = remoteIP
        self.helo = helo
        self.tls = tls
        self.authUser = authUser
        self.spf = spf
        self.dkim = dkim
        self.smtpMessageID = smtpMessageID
        self.recipients = recipients
        self.refused = refused
        self.body = body
    }
}
