public import ConduitCore

/// A leased delivery and what its attempt needs, read in the claiming transaction.
public struct DeliveryClaim: Sendable {
    public var delivery: Delivery
    public var webhook: Webhook
    public var message: SpooledMessage
}

/// What became of one attempt, for the inline first attempt and `simulate`.
public struct AttemptReport: Sendable, Equatable {
    public var outcome: AttemptOutcome
    public var response: WebhookResponse
}
