import ConduitSMTP
import ConduitStore
import Logging

extension SMTPReply {
    /// `452 4.3.1` (RFC 3463 "mail system full"): the one SMTP answer to a
    /// full store, whether the reserve refused the mail or a write failed.
    static let insufficientStorage = IngressRefusal.storageFull.reply(recipient: nil)
}

extension IngressParts {
    /// `452 4.3.1` while the disk or the map has less free room than the
    /// reserve (`[storage] reserve_mb`), like Postfix's `queue_minfree`: new
    /// mail waits at the sender so delivery, outcomes and cleanup, which are
    /// not refused, always find room and the spool can drain. The figures are
    /// cached for a second, so the check costs a lock and a comparison.
    /// `messageBytes`, the message's size: at MAIL FROM the one the client
    /// declared (`SIZE=`, RFC 1870; like Postfix's `queue_minfree` check),
    /// at the end of DATA the real one — the message must leave the reserve
    /// free too. `admitting` (the end of DATA) takes an admitted message off
    /// the cached figures at once (`StorageHeadroom.admit(adding:)`).
    func headroomRefusal(stage: String, messageBytes: Int? = nil, admitting: Bool = false) -> SMTPReply? {
        let bytes = messageBytes.map(StorageHeadroom.mapBytes(forValueOf:)) ?? 0
        let admitted = admitting ? backend.headroom.admit(adding: bytes) : backend.headroom.admitsNewMail(adding: bytes)
        guard !admitted else { return nil }
        let room = backend.headroom.room()
        logger.warning("new mail refused: storage below the reserve", metadata: [
            "stage": "\(stage)", "reserve_bytes": "\(backend.headroom.rule.reserveBytes)",
            "free_disk_bytes": "\(room?.freeDiskBytes ?? -1)", "free_map_bytes": "\(room?.freeMapBytes ?? -1)",
            "message_bytes": "\(messageBytes ?? 0)",
        ])
        return .insufficientStorage
    }
}
