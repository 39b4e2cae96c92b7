import ConduitSMTP

/// Every reason the ingress turns a recipient or a message away, and the one
/// table from those reasons to SMTP replies (docs/SMTP.md, "Replies"). Checks
/// and the session decide; only this table words the answer.
enum IngressRefusal: Sendable, Equatable {
    /// A check's decision (`IngressCheck`).
    case check(CheckReason)
    /// No webhook answers for the address.
    case unknownRecipient
    /// The address's webhook is deactivated.
    case mailboxDisabled
    /// The recipient's account is at its storage quota (`[storage] account_quota_mb`).
    case accountQuotaExceeded
    /// The disk or the map is below the reserve, or a write found it full.
    case storageFull
    /// Reading the recipient's webhook failed for another reason.
    case lookupFailure
    /// Writing the spool failed for another reason.
    case storageFailure

    /// The reply for one recipient (at RCPT TO: the text starts with
    /// `<address>:`) or, with `recipient` nil, for the whole message.
    func reply(recipient: String?) -> SMTPReply {
        let about = recipient.map { "<\($0)>: " } ?? ""
        switch self {
        case let .check(reason):
            switch reason.kind {
            case .sourceNotPermitted: return SMTPReply(550, "5.7.1", about + "Client address not permitted")
            case .authenticationRequired: return SMTPReply(530, "5.7.0", about + "Authentication required")
            // RFC 7372 §3.2 / §3.1: the SPF enhanced status codes.
            case .spfTemporary: return SMTPReply(451, "4.7.24", about + "SPF temporary error, try again later")
            case .spfFailed: return SMTPReply(550, "5.7.23", about + "SPF validation failed (\(reason.detail))")
            // RFC 7372 §3.1: 5.7.20 "no passing DKIM signature found".
            case .dkimTemporary: return SMTPReply(451, "4.7.5", about + "DKIM temporary error, try again later")
            case .dkimFailed: return SMTPReply(550, "5.7.20", about + "No passing DKIM signature found")
            // RFC 7372 has no DMARC code; 5.7.1 "delivery not authorized" is
            // what receivers (Gmail, Postfix's OpenDMARC) answer, 4.7.5 is DKIM's temporary one.
            case .dmarcTemporary: return SMTPReply(451, "4.7.5", about + "DMARC temporary error, try again later")
            case .dmarcFailed: return SMTPReply(550, "5.7.1", about + "Rejected by the DMARC policy of the author domain (\(reason.detail))")
            }
        case .unknownRecipient: return SMTPReply(550, "5.1.1", about + "Recipient address rejected: no such mailbox")
        case .mailboxDisabled: return SMTPReply(550, "5.2.1", about + "Mailbox disabled, not accepting messages")
        case .accountQuotaExceeded: return SMTPReply(452, "4.2.2", about + "Mailbox storage quota exceeded, try again later")
        // RFC 3463 4.3.1 "mail system full": the one answer to a full store,
        // whether the reserve refused the mail or a write failed.
        case .storageFull: return SMTPReply(452, "4.3.1", "Insufficient system storage, try again later")
        case .lookupFailure: return SMTPReply(451, "4.3.0", "Temporary lookup failure, try again later")
        case .storageFailure: return SMTPReply(451, "4.3.0", "Temporary storage failure, try again later")
        }
    }
}
