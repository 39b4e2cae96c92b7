import ConduitCore
import ConduitStore
import Foundation

/// The test schema with the spool's tables and raw database.
let spoolSchema = Schema(version: 1, records: Spool.recordTypes, rawDatabases: Spool.rawDatabases)

/// Now, at millisecond precision, as the store keeps dates.
func storedNow() -> Date {
    Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded(.down) / 1000)
}

/// A message for two recipients on two webhooks, with a delivery each and one
/// ingress log row.
func makeEntry(body: [UInt8] = Array("Subject: hi\r\n\r\nhello\r\n".utf8), sender: String = "alice@example.org") -> SpoolEntry {
    let now = storedNow()
    let id = Identifier.generate().rawValue
    let recipients = [
        SpooledRecipient(rcptTo: "inbox@example.com", webhookID: "wh1", accountID: "acc1", tag: nil),
        SpooledRecipient(rcptTo: "support+urgent@example.com", webhookID: "wh2", accountID: "acc1", tag: "urgent"),
    ]
    let message = SpooledMessage(
        id: id, receivedAt: now, mailFrom: sender, remoteIP: "192.0.2.1", helo: "mail.example.org", tls: true,
        authUser: nil, spf: SpooledSPF(result: "pass", domain: "example.org"),
        dkim: [SpooledDKIM(domain: "example.org", selector: "s1", result: "pass")],
        size: body.count, recipients: recipients
    )
    let deliveries = recipients.map { recipient in
        Delivery(
            id: Identifier.generate().rawValue, messageID: id, webhookID: recipient.webhookID,
            accountID: recipient.accountID, rcptTo: recipient.rcptTo, tag: recipient.tag,
            nextAttemptAt: now, createdAt: now
        )
    }
    let log = DeliveryLog(
        id: Identifier.generate().rawValue, webhookID: "wh3", accountID: "acc2", deliveryID: nil, messageID: id,
        smtpMessageID: "<m1@example.org>", sender: sender, attemptedAt: now, durationMs: 0, httpStatus: nil,
        error: "DKIM signature required by the webhook's policy did not pass", simulated: false
    )
    return SpoolEntry(message: message, body: body, deliveries: deliveries, logs: [log])
}
