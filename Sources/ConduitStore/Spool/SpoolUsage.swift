import ConduitCore

/// What each account's mail occupies in the spool, kept in step with every
/// spool write so an account quota is checked without scanning anything.
///
/// An account is charged, for each spooled message with at least one of its
/// recipients, the message's body size plus `recordOverhead` (the message,
/// delivery and log records that travel with it, so a flood of tiny messages
/// still reaches the quota). A message shared by two accounts is charged to
/// both in full: either may keep it in the spool on its own (a failed
/// delivery keeps the body until log retention).
///
/// Layout: the raw database `spool_usage`, key = account id, value = the
/// charge as 8 bytes little-endian. No key means nothing charged.
public enum SpoolUsage {
    public static let database = "spool_usage"
    /// Bytes charged per message on top of its body.
    public static let recordOverhead = 2048

    /// The charge of one message of `bodySize` bytes.
    public static func charge(bodySize: Int) -> Int { bodySize + recordOverhead }

    /// The distinct accounts a message is charged to.
    static func accounts(of message: SpooledMessage) -> [String] {
        var seen: Set<String> = []
        return message.recipients.map(\.accountID).filter { seen.insert($0).inserted }
    }

    static func encode(_ value: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(max(0, value)).littleEndian) { Array($0) }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> Int {
        guard bytes.count == 8 else { return 0 }
        return Int(clamping: UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)))
    }
}

extension ReadTransaction {
    /// The bytes charged to `accountID` (`SpoolUsage`).
    public func spoolUsage(accountID: String) throws -> Int {
        try withRaw(database: SpoolUsage.database, key: accountID) { SpoolUsage.decode($0) } ?? 0
    }
}

extension WriteTransaction {
    /// Adds `delta` (negative to release) to an account's charge, never
    /// below zero; a charge of zero removes the key.
    func adjustSpoolUsage(accountID: String, by delta: Int) throws {
        guard delta != 0, !accountID.isEmpty else { return }
        let next = try reader.spoolUsage(accountID: accountID) + delta
        if next > 0 {
            try putRaw(database: SpoolUsage.database, key: accountID, bytes: SpoolUsage.encode(next))
        } else {
            try deleteRaw(database: SpoolUsage.database, key: accountID)
        }
    }

    /// Recomputes every account's charge from the spooled messages (the
    /// migration that introduced the counters; also a repair tool).
    public func rebuildSpoolUsage() throws {
        var stale: [String] = []
        try raw.scan(SpoolUsage.database) { key, _ in
            stale.append(String(decoding: key, as: UTF8.self))
            return true
        }
        for key in stale { try deleteRaw(database: SpoolUsage.database, key: key) }
        var after: String?
        while true {
            let page = try reader.spooledMessages(after: after, limit: 500)
            guard let last = page.last else { break }
            for message in page {
                for account in SpoolUsage.accounts(of: message) {
                    try adjustSpoolUsage(accountID: account, by: SpoolUsage.charge(bodySize: message.size))
                }
            }
            after = last.id
        }
    }

    /// Frees everything an account has in the spool, at once (account
    /// deletion): its deliveries go, each message left with no delivery
    /// still to make or keep goes, and its charge is dropped. Messages
    /// shared with other accounts stay for them. Run it before the
    /// account's webhooks are removed: deliveries are found through them.
    public func removeSpool(ofAccount accountID: String) throws {
        var messageIDs: [String] = []
        for webhook in try reader.list(Webhook.self, index: .byAccount, key: accountID) {
            for delivery in try reader.list(Delivery.self, index: .byWebhook, key: webhook.id) {
                try delete(Delivery.self, id: delivery.id)
                messageIDs.append(delivery.messageID)
            }
        }
        try deleteRaw(database: SpoolUsage.database, key: accountID)
        for messageID in Set(messageIDs) {
            let remaining = try reader.deliveries(ofMessage: messageID)
            // Delivered ones are done; what is left is pending, failed or dead for another account.
            if remaining.allSatisfy({ $0.state == .delivered }) {
                try removeSpooledMessage(id: messageID)
            }
        }
    }
}
