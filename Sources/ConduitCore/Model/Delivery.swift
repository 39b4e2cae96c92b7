public import Foundation

/// One spooled message for one webhook: the unit the delivery worker sends
/// and retries. A message with three recipients on two webhooks has two
/// deliveries (one per webhook and recipient address).
public struct Delivery: Codable, Sendable, Equatable {
    /// An `Identifier`. It is the Standard Webhooks `webhook-id`, the same on
    /// every attempt, so receivers can drop duplicates (it has no `.`).
    public var id: String
    /// The `SpooledMessage` id.
    public var messageID: String
    public var webhookID: String
    public var accountID: String
    public var rcptTo: String
    /// The `+tag` of the recipient, or `nil`.
    public var tag: String?
    public var state: State
    /// Attempts made so far.
    public var attempts: Int
    /// When the next attempt is due (meaningful while `pending`). While an
    /// attempt runs it equals `leasedUntil`, so a lease whose worker died
    /// comes due again by itself.
    public var nextAttemptAt: Date
    /// Set while an attempt is in flight (the lease); `nil` otherwise. A
    /// restart re-offers every leased delivery at once: no worker survives
    /// the process. Absent in records written before leases existed (decodes as `nil`).
    public var leasedUntil: Date?
    /// For a redelivery (`POST …/redeliver`), the `id` (`webhook-id`) of the
    /// delivery it replays; `nil` for mail as it arrived.
    public var redeliveryOf: String?
    public var createdAt: Date
    public var updatedAt: Date

    /// Where a delivery stands. Only `pending` deliveries are in the store's `due` index.
    public enum State: String, Codable, Sendable {
        /// Waiting for its first attempt or a retry.
        case pending
        /// A 2xx answered.
        case delivered
        /// A permanent failure (non-retryable status).
        case failed
        /// Retries ran out (`max_age_hours`).
        case dead
    }

    public init(
        id: String, messageID: String, webhookID: String, accountID: String, rcptTo: String, tag: String?,
        state: State = .pending, attempts: Int = 0, nextAttemptAt: Date, createdAt: Date, updatedAt: Date? = nil
    ) {
        self.id = id
        self.messageID = messageID
        self.webhookID = webhookID
        self.accountID = accountID
        self.rcptTo = rcptTo
        self.tag = tag
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.leasedUntil = nil
        self.redeliveryOf = nil
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
    }
}
