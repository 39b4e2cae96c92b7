import ConduitCore
import ConduitIdentity
import ConduitSMTP
import Foundation

/// Sends Conduit's own mail through `[mail] smarthost`.
struct SMTPMailer: Mailer {
    let client: SMTPClient
    /// The domain of our Message-IDs.
    let hostname: String

    func send(_ mail: OutgoingMail) async throws {
        try await client.send(from: mail.from, to: [mail.to], message: Self.compose(mail, hostname: hostname, date: Date()))
    }

    /// RFC 5322 text. Subject and body are ASCII here (addresses are
    /// normalized to A-labels); anything else is refused rather than mangled.
    static func compose(_ mail: OutgoingMail, hostname: String, date: Date) -> String {
        precondition(mail.subject.allSatisfy(\.isASCII) && mail.body.allSatisfy(\.isASCII), "outgoing mail must be ASCII")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let headers = [
            "Date: \(formatter.string(from: date))",
            "From: <\(mail.from)>",
            "To: <\(mail.to)>",
            "Subject: \(mail.subject)",
            "Message-ID: <\(Identifier.generate().rawValue)@\(hostname)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
            "Content-Transfer-Encoding: 7bit",
            "Auto-Submitted: auto-generated",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + mail.body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
    }
}
