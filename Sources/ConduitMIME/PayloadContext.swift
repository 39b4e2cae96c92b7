public import Foundation

/// What the payload says about how a message arrived: the envelope and
/// authentication results from the spool, and the delivery's ids. Every
/// field is optional; `conduit parse` leaves them all empty (`null`).
public struct PayloadContext: Sendable {
    /// The SPF verdict on MAIL FROM (or HELO).
    public struct SPF: Sendable, Equatable {
        public var result: String
        public var domain: String?

        public init(result: String, domain: String?) {
            self.result = result
            self.domain = domain
        }
    }

    /// One DKIM signature's verdict.
    public struct DKIM: Sendable, Equatable {
        public var domain: String
        public var selector: String
        public var result: String

        public init(domain: String, selector: String, result: String) {
            self.domain = domain
            self.selector = selector
            self.result = result
        }
    }

    /// The message's spool id.
    public var id: String?
    public var webhookID: String?
    public var receivedAt: Date?
    /// MAIL FROM (empty for the null sender).
    public var mailFrom: String?
    /// The recipient this delivery is for.
    public var rcptTo: String?
    public var remoteIP: String?
    public var helo: String?
    public var tls: Bool?
    public var authUser: String?
    public var spf: SPF?
    public var dkim: [DKIM]
    /// The `+tag` of the recipient.
    public var tag: String?

    /// A context; everything defaults to absent.
    public init(
        id: String? = nil, webhookID: String? = nil, receivedAt: Date? = nil, mailFrom: String? = nil,
        rcptTo: String? = nil, remoteIP: String? = nil, helo: String? = nil, tls: Bool? = nil,
        authUser: String? = nil, spf: SPF? = nil, dkim: [DKIM] = [], tag: String? = nil
    ) {
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
