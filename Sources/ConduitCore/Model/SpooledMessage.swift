public import Foundation

/// One accepted message as the spool keeps it: the SMTP envelope, what the
/// policy checks found, and the recipients it goes to. The raw RFC 5322 bytes
/// are stored beside it (the store's `spool_bodies`), not in this value, so
/// listing the spool never reads megabytes of mail.
public struct SpooledMessage: Codable, Sendable, Equatable {
    /// The queue id, an `Identifier` (time-ordered, so the spool lists oldest first).
    public var id: String
    /// When DATA ended. Stored with millisecond precision.
    public var receivedAt: Date
    /// The MAIL FROM address; `""` is the null sender (`<>`).
    public var mailFrom: String
    public var remoteIP: String
    /// The HELO/EHLO name the client gave.
    public var helo: String
    /// Whether the session ran under STARTTLS.
    public var tls: Bool
    /// The SMTP AUTH user, or `nil` without AUTH.
    public var authUser: String?
    /// The SPF verdict for MAIL FROM (HELO for the null sender); `nil` when not checked.
    public var spf: SpooledSPF?
    /// One entry per DKIM-Signature checked, top first.
    public var dkim: [SpooledDKIM]
    /// Bytes of the stored body (`SpoolWriter` sets it from the body it writes).
    public var size: Int
    /// The accepted recipients, each resolved to its webhook.
    public var recipients: [SpooledRecipient]
    /// The DMARC verdict; `nil` when not evaluated (`[smtp] dmarc = false`,
    /// or spooled by a build before it).
    public var dmarc: SpooledDMARC?
    /// The ARC chain verdict; `nil` when not evaluated.
    public var arc: SpooledARC?
    /// The authserv-id of the checks (RFC 8601 §2.5: the SMTP hostname that
    /// received the message), for the payload's `auth.results`; `nil` before layout 2.
    public var authservID: String?

    public init(
        id: String, receivedAt: Date, mailFrom: String, remoteIP: String, helo: String, tls: Bool,
        authUser: String?, spf: SpooledSPF?, dkim: [SpooledDKIM], size: Int, recipients: [SpooledRecipient],
        dmarc: SpooledDMARC? = nil, arc: SpooledARC? = nil, authservID: String? = nil
    ) {
        self.id = id
        self.receivedAt = receivedAt
        self.mailFrom = mailFrom
        self.remoteIP = remoteIP
        self.helo = helo
        self.tls = tls
        self.authUser = authUser
        self.spf = spf
        self.dkim = dkim
        self.size = size
        self.recipients = recipients
        self.dmarc = dmarc
        self.arc = arc
        self.authservID = authservID
    }
}

/// The DMARC verdict of a spooled message (docs/DMARC.md).
public struct SpooledDMARC: Codable, Sendable, Equatable {
    /// `pass`, `fail`, `none`, `temperror` or `permerror`.
    public var result: String
    /// The author domain (`From:`); `""` when it could not be read.
    public var domain: String
    /// The policy a failing message gets (`none`, `quarantine`, `reject`), after `t=y`.
    public var policy: String
    public var spfAligned: Bool
    public var dkimAligned: Bool
    /// The author domain's Organizational Domain; `nil` when unknown.
    public var organizationalDomain: String?

    public init(result: String, domain: String, policy: String, spfAligned: Bool, dkimAligned: Bool, organizationalDomain: String?) {
        self.result = result
        self.domain = domain
        self.policy = policy
        self.spfAligned = spfAligned
        self.dkimAligned = dkimAligned
        self.organizationalDomain = organizationalDomain
    }
}

/// The ARC chain verdict of a spooled message (docs/ARC.md).
public struct SpooledARC: Codable, Sendable, Equatable {
    /// `none`, `pass` or `fail`.
    public var result: String
    /// The highest instance (0 for `none`).
    public var instances: Int

    public init(result: String, instances: Int) {
        self.result = result
        self.instances = instances
    }
}

/// The SPF result of a spooled message (RFC 7208 result name and the domain checked).
public struct SpooledSPF: Codable, Sendable, Equatable {
    public var result: String
    public var domain: String?

    public init(result: String, domain: String?) {
        self.result = result
        self.domain = domain
    }
}

/// One DKIM signature's verdict (RFC 6376 result name).
public struct SpooledDKIM: Codable, Sendable, Equatable {
    public var domain: String
    public var selector: String
    public var result: String

    public init(domain: String, selector: String, result: String) {
        self.domain = domain
        self.selector = selector
        self.result = result
    }
}

/// One RCPT TO the message was accepted for, and where it goes.
public struct SpooledRecipient: Codable, Sendable, Equatable {
    /// The address as the client gave it (normalized by the ingress).
    public var rcptTo: String
    public var webhookID: String
    public var accountID: String
    /// The `+tag` of the local part, or `nil`.
    public var tag: String?

    public init(rcptTo: String, webhookID: String, accountID: String, tag: String?) {
        self.rcptTo = rcptTo
        self.webhookID = webhookID
        self.accountID = accountID
        self.tag = tag
    }
}
