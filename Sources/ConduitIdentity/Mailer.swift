/// A plain-text mail to one recipient.
public struct OutgoingMail: Sendable, Equatable {
    public var from: String
    public var to: String
    public var subject: String
    public var body: String

    public init(from: String, to: String, subject: String, body: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// Sends mail (password reset). The composition root picks the SMTP
/// smarthost implementation, or one that only logs when none is configured.
public protocol Mailer: Sendable {
    func send(_ mail: OutgoingMail) async throws
}
