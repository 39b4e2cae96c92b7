import ConduitIdentity
import Logging

/// Used when `[mail] smarthost` is empty: outgoing mail is not sent, only
/// logged. The body (which may hold a reset link) appears at debug level only.
struct LogMailer: Mailer {
    let logger: Logger

    func send(_ mail: OutgoingMail) async throws {
        logger.notice("mail not sent: no [mail] smarthost configured", metadata: ["to": "\(mail.to)", "subject": "\(mail.subject)"])
        logger.debug("unsent mail body", metadata: ["body": "\(mail.body)"])
    }
}
