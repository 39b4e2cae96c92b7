public import Foundation

/// One delivery attempt (or a decision not to attempt, such as a DKIM
/// failure at ingress): a row of `GET /webhooks/{id}/logs`
/// (`DeliveryLogResponse`).
public struct DeliveryLog: Codable, Sendable, Equatable {
    /// An `Identifier`; time-ordered, so per-webhook listings come newest first by id.
    public var id: String
    public var webhookID: String
    public var accountID: String
    /// The `Delivery` this attempt belongs to; `nil` when there is none
    /// (a recipient refused at ingress, a `simulate` call).
    public var deliveryID: String?
    /// The spool id of the message.
    public var messageID: String
    /// The message's `Message-ID` header, or `nil` when it has none.
    public var smtpMessageID: String?
    /// MAIL FROM (`""` for the null sender).
    public var sender: String
    public var attemptedAt: Date
    public var durationMs: Int
    /// The endpoint's status, or `nil` when no HTTP response came (timeout, refused, TLS).
    public var httpStatus: Int?
    /// Why the attempt failed, or `nil` on success.
    public var error: String?
    /// `true` for `POST /webhooks/{id}/simulate`.
    public var simulated: Bool

    public init(
        id: String, webhookID: String, accountID: String, deliveryID: String?, messageID: String,
        smtpMessageID: String?, sender: String, attemptedAt: Date, durationMs: Int, httpStatus: Int?,
        error: String?, simulated: Bool
    ) {
        self.id = id
        self.webhookID = webhookID
        self.accountID = accountID
        self.deliveryID = deliveryID
        self.messageID = messageID
        self.smtpMessageID = smtpMessageID
        self.sender = sender
        self.attemptedAt = attemptedAt
        self.durationMs = durationMs
        self.httpStatus = httpStatus
        self.error = error
        self.simulated = simulated
    }
}
