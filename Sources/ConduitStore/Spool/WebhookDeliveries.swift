public import ConduitCore
public import Foundation

extension ReadTransaction {
    /// Visits `webhookID`'s deliveries created at or after `createdFrom`
    /// (all of them when `nil`) in id order — creation order — until `visit`
    /// returns false. Ids are time-ordered, so the scan starts at the first
    /// id of that millisecond and never reads the older ones; one record
    /// read per delivery visited, nothing kept.
    public func deliveries(
        ofWebhook webhookID: String, createdFrom: Date?, visit: (Delivery) throws -> Bool
    ) throws {
        guard let prefix = try? RecordCodec.checkedKey(webhookID) else { return }
        let range = prefix + [0]
        var after: [UInt8]?
        if let createdFrom {
            let millis = UInt64(max(0, createdFrom.timeIntervalSince1970 * 1000))
            // The scan starts strictly after this key: the lowest id of that
            // millisecond (80 zero bits after the time), which a generated
            // id, random in those bits, is in practice never equal to.
            after = range + Array(Identifier.lowest(atMillis: millis).rawValue.utf8)
        }
        try raw.scan("\(Delivery.tableName).\(IndexName<Delivery>.byWebhook)", prefix: range, after: after) { _, id in
            guard let delivery = try get(Delivery.self, id: String(decoding: id, as: UTF8.self)) else { return true }
            return try visit(delivery)
        }
    }
}
