public import ConduitCore
public import Foundation

/// What the payload says about how a message arrived: the envelope and
/// authentication results from the spool, and the delivery's ids. Every
/// field is optional; `conduit parse` leaves them all empty (`null`).
public struct PayloadContext: Sendable {
    /// The SPF verdict on MAIL FROM (or HELO), as the spool keeps it.
    public typealias SPF = SpooledSPF
    /// One DKIM signature's verdict, as the spool keeps it.
    public typealias DKIM = SpooledDKIM

    /// The message's spool id.
    public var id: String?
    /// The webhook delivered to.
    public var webhookID: String?
    /// When the message was accepted (RFC 3339 UTC in the payload).
    public var receivedAt: Date?
    /// MAIL FROM (empty for the null sender).
    public var mailFrom: String?
    /// The recipient this delivery is for.
    public var rcptTo: String?
    /// The SMTP client's address.
    public var remoteIP: String?
    /// The HELO/EHLO name.
    public var helo: String?
    /// Whether the session ran under STARTTLS.
    public var tls: Bool?
    /// The SMTP AUTH user, if the client authenticated.
    public var authUser: String?
    /// The SPF verdict, if SPF was checked.
    public var spf: SPF?
    /// One verdict per DKIM signature.
    public var dkim: [DKIM]
    /// The DMARC verdict; `nil` when not evaluated.
    public var dmarc: SpooledDMARC?
    /// The ARC chain verdict; `nil` when not evaluated.
    public var arc: SpooledARC?
    /// Who made the checks (the SMTP hostname), for `auth.results`; `nil`: no `auth.results`.
    public var authservID: String?
    /// The `+tag` of the recipient.
    public var tag: String?
    /// For a redelivery, the `webhook-id` of the delivery it replays.
    public var redeliveryOf: String?

    /// A context; everything defaults to absent.
    public init(
        id: String? = nil, webhookID: String? = nil, receivedAt: Date? = nil, mailFrom: String? = nil,
        rcptTo: String? = nil, remoteIP: String? = nil, helo: String? = nil, tls: Bool? = nil,
        authUser: String? = nil, spf: SPF? = nil, dkim: [DKIM] = [], tag: String? = nil, redeliveryOf: String? = nil,
        dmarc: SpooledDMARC? = nil, arc: SpooledARC? = nil, authservID: String? = nil
    ) {
        self.dmarc = dmarc
        self.arc = arc
        self.authservID = authservID
        self.redeliveryOf = redeliveryOf
        self.id = id
        self.webhookID = webhookID
        self.receivedAt = receivedAt
        self.mailFrom = mailFrom
        self.rcptTo = rcptTo
        self.remoteIP = remoteIP
        self.helo = helo
        self.tls = tls
        self.authUser = authUser
        self.spf = spf
        self.dkim = dkim
        self.tag = tag
    }
}

extension PayloadContext {
    /// The spooled message's envelope and verdicts for one delivery.
    public init(message: SpooledMessage, webhookID: String, rcptTo: String, tag: String?, redeliveryOf: String?) {
        self.init(
            id: message.id, webhookID: webhookID, receivedAt: message.receivedAt, mailFrom: message.mailFrom,
            rcptTo: rcptTo, remoteIP: message.remoteIP, helo: message.helo, tls: message.tls,
            authUser: message.authUser, spf: message.spf, dkim: message.dkim, tag: tag, redeliveryOf: redeliveryOf,
            dmarc: message.dmarc, arc: message.arc, authservID: message.authservID
        )
    }

    /// `auth.results` (`AuthenticationResults`).
    var authenticationResults: String? { AuthenticationResults.field(self) }
}
