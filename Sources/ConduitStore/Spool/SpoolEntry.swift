public import ConduitCore

/// Everything one accepted message adds to the store, written together in
/// one transaction: the message, its raw body, one delivery per webhook
/// recipient and any delivery-log rows decided at ingress (e.g. recipients
/// refused after a DKIM failure).
public struct SpoolEntry: Sendable {
    public var message: SpooledMessage
    public var body: any SpoolBody
    public var deliveries: [Delivery]
    public var logs: [DeliveryLog]
    /// The most any recipient account may have charged in the spool
    /// (`SpoolUsage`) once this message is in; `nil` for no limit.
    public var accountQuotaBytes: Int?
    /// Runs inside the write transaction, after the message is written and
    /// before the deliveries are, and may change them: the delivery side
    /// leases there the ones it can start at once (docs/DELIVERY.md,
    /// "Leasing at spool time"). It runs again when the entry is retried
    /// in a transaction of its own (the first one was rolled back).
    public var admit: (@Sendable (SpooledMessage, inout [Delivery], WriteTransaction) throws -> Void)?

    public init(
        message: SpooledMessage, body: any SpoolBody, deliveries: [Delivery], logs: [DeliveryLog] = [],
        accountQuotaBytes: Int? = nil
    ) {
        self.message = message
        self.body = body
        self.deliveries = deliveries
        self.logs = logs
        self.accountQuotaBytes = accountQuotaBytes
    }
}
