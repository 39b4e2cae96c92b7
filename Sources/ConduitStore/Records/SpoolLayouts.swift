public import ConduitCore

// Binary layouts (format 2) of the spool tables: the hot records. The claim
// sweep decodes `Delivery` values on every pass and each outcome re-encodes
// one, so these stay plain field-by-field code with no generic machinery.

extension SpooledMessage {
    /// 2 added `dmarc`, `arc` and `authservID` (layout 1 reads them as nil: not evaluated).
    public static let layoutVersion: UInt8 = 2

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(receivedAt)
        writer.write(mailFrom)
        writer.write(remoteIP)
        writer.write(helo)
        writer.write(tls)
        writer.write(authUser)
        writer.write(spf)
        writer.write(dkim)
        writer.write(size)
        writer.write(recipients)
        writer.write(dmarc)
        writer.write(arc)
        writer.write(authservID)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SpooledMessage {
        let id = try reader.string()
        let receivedAt = try reader.date()
        let mailFrom = try reader.string()
        let remoteIP = try reader.string()
        let helo = try reader.string()
        let tls = try reader.bool()
        let authUser = try reader.optionalString()
        let spf = try reader.optionalValue(SpooledSPF.self)
        let dkim = try reader.values(SpooledDKIM.self)
        let size = try reader.int()
        var message = SpooledMessage(id: id, receivedAt: receivedAt, mailFrom: mailFrom, remoteIP: remoteIP, helo: helo, tls: tls,
                                     authUser: authUser, spf: spf, dkim: dkim, size: size,
                                     recipients: try reader.values(SpooledRecipient.self))
        if reader.layout >= 2 {
            message.dmarc = try reader.optionalValue(SpooledDMARC.self)
            message.arc = try reader.optionalValue(SpooledARC.self)
            message.authservID = try reader.optionalString()
        }
        return message
    }
}

extension SpooledDMARC: BinaryValue {
    public func encode(to writer: inout RecordWriter) {
        writer.write(result)
        writer.write(domain)
        writer.write(policy)
        writer.write(spfAligned)
        writer.write(dkimAligned)
        writer.write(organizationalDomain)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SpooledDMARC {
        let result = try reader.string()
        let domain = try reader.string()
        let policy = try reader.string()
        let spfAligned = try reader.bool()
        let dkimAligned = try reader.bool()
        return SpooledDMARC(result: result, domain: domain, policy: policy, spfAligned: spfAligned, dkimAligned: dkimAligned,
                            organizationalDomain: try reader.optionalString())
    }
}

extension SpooledARC: BinaryValue {
    public func encode(to writer: inout RecordWriter) {
        writer.write(result)
        writer.write(instances)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SpooledARC {
        let result = try reader.string()
        return SpooledARC(result: result, instances: try reader.int())
    }
}

extension SpooledSPF: BinaryValue {
    public func encode(to writer: inout RecordWriter) {
        writer.write(result)
        writer.write(domain)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SpooledSPF {
        let result = try reader.string()
        return SpooledSPF(result: result, domain: try reader.optionalString())
    }
}

extension SpooledDKIM: BinaryValue {
    public func encode(to writer: inout RecordWriter) {
        writer.write(domain)
        writer.write(selector)
        writer.write(result)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SpooledDKIM {
        let domain = try reader.string()
        let selector = try reader.string()
        return SpooledDKIM(domain: domain, selector: selector, result: try reader.string())
    }
}

extension SpooledRecipient: BinaryValue {
    public func encode(to writer: inout RecordWriter) {
        writer.write(rcptTo)
        writer.write(webhookID)
        writer.write(accountID)
        writer.write(tag)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> SpooledRecipient {
        let rcptTo = try reader.string()
        let webhookID = try reader.string()
        let accountID = try reader.string()
        return SpooledRecipient(rcptTo: rcptTo, webhookID: webhookID, accountID: accountID, tag: try reader.optionalString())
    }
}

extension Delivery {
    /// 2 added `redeliveryOf` (layout 1 reads it as nil).
    public static let layoutVersion: UInt8 = 2

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(messageID)
        writer.write(webhookID)
        writer.write(accountID)
        writer.write(rcptTo)
        writer.write(tag)
        writer.writeByte(state.byte)
        writer.write(attempts)
        writer.write(nextAttemptAt)
        writer.write(leasedUntil)
        writer.write(createdAt)
        writer.write(updatedAt)
        writer.write(redeliveryOf)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> Delivery {
        let id = try reader.string()
        let messageID = try reader.string()
        let webhookID = try reader.string()
        let accountID = try reader.string()
        let rcptTo = try reader.string()
        let tag = try reader.optionalString()
        let state = try State(byte: try reader.byte())
        let attempts = try reader.int()
        let nextAttemptAt = try reader.date()
        let leasedUntil = try reader.optionalDate()
        let createdAt = try reader.date()
        var delivery = Delivery(id: id, messageID: messageID, webhookID: webhookID, accountID: accountID, rcptTo: rcptTo, tag: tag,
                                state: state, attempts: attempts, nextAttemptAt: nextAttemptAt, createdAt: createdAt,
                                updatedAt: try reader.date())
        delivery.leasedUntil = leasedUntil
        if reader.layout >= 2 { delivery.redeliveryOf = try reader.optionalString() }
        return delivery
    }
}

extension Delivery.State {
    /// The stored byte of each state. Stable: part of the on-disk layout.
    var byte: UInt8 {
        switch self {
        case .pending: 0
        case .delivered: 1
        case .failed: 2
        case .dead: 3
        }
    }

    init(byte: UInt8) throws(StoreError) {
        switch byte {
        case 0: self = .pending
        case 1: self = .delivered
        case 2: self = .failed
        case 3: self = .dead
        default: throw StoreError.corrupted("delivery state byte \(byte)")
        }
    }
}

extension DeliveryLog {
    public static let layoutVersion: UInt8 = 1

    public func encode(to writer: inout RecordWriter) {
        writer.write(id)
        writer.write(webhookID)
        writer.write(accountID)
        writer.write(deliveryID)
        writer.write(messageID)
        writer.write(smtpMessageID)
        writer.write(sender)
        writer.write(attemptedAt)
        writer.write(durationMs)
        writer.write(httpStatus)
        writer.write(error)
        writer.write(simulated)
    }

    public static func decode(from reader: inout RecordReader) throws(StoreError) -> DeliveryLog {
        let id = try reader.string()
        let webhookID = try reader.string()
        let accountID = try reader.string()
        let deliveryID = try reader.optionalString()
        let messageID = try reader.string()
        let smtpMessageID = try reader.optionalString()
        let sender = try reader.string()
        let attemptedAt = try reader.date()
        let durationMs = try reader.int()
        let httpStatus = try reader.optionalInt()
        let error = try reader.optionalString()
        return DeliveryLog(id: id, webhookID: webhookID, accountID: accountID, deliveryID: deliveryID, messageID: messageID,
                           smtpMessageID: smtpMessageID, sender: sender, attemptedAt: attemptedAt, durationMs: durationMs,
                           httpStatus: httpStatus, error: error, simulated: try reader.bool())
    }
}
