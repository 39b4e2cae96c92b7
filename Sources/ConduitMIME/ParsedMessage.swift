public import Foundation

/// What the parser found in a message: the fields a webhook payload needs.
public struct ParsedMessage: Sendable {
    /// Subject, RFC 2047 decoded.
    public var subject: String?
    /// Message-ID as written (angle brackets kept).
    public var messageID: String?
    /// The Date header as written.
    public var dateHeader: String?
    /// The Date header parsed (RFC 5322 with the obsolete forms), or `nil`.
    public var date: Date?
    /// The first mailbox of From.
    public var from: MailAddress?
    /// Mailboxes of To (groups flattened).
    public var to: [MailAddress] = []
    /// Mailboxes of Cc.
    public var cc: [MailAddress] = []
    /// Mailboxes of Reply-To.
    public var replyTo: [MailAddress] = []
    /// Top-level header fields in order, decoded.
    public var headers: [MessageHeader] = []
    /// The plain-text body decoded to a string (line ends `\n`), or `nil`.
    public var text: String?
    /// The HTML body decoded to a string (line ends `\n`), or `nil`.
    public var html: String?
    /// Every other leaf part, depth first.
    public var attachments: [MessageAttachment] = []
    /// The raw message size in bytes.
    public var size: Int = 0
    /// What was wrong with the message and how it was read anyway.
    public var defects: [String] = []

    /// An empty message of `size` bytes.
    public init(size: Int = 0) {
        self.size = size
    }
}
