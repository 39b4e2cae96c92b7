/// Every way a store operation can fail. LMDB status codes never leave this
/// module raw: each maps to a case a caller can act on.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// The LMDB map is full (`[storage] map_size_mb`). The transaction was rolled back.
    case mapFull
    /// The file system is out of space (ENOSPC). The transaction was rolled back.
    case diskFull
    /// The store was closed before or during the call.
    case closed
    /// `update` of a record that does not exist.
    case notFound(table: String, id: String)
    /// `insert` of a record whose id already exists.
    case duplicateID(table: String, id: String)
    /// A unique index already holds this key for another record.
    case uniqueConstraint(index: String, key: String)
    /// A spool write would take these accounts past their storage quota
    /// (`SpoolEntry.accountQuotaBytes`). Nothing was written.
    case quotaExceeded(accountIDs: [String])
    /// A key is longer than LMDB allows (511 bytes) or contains a NUL byte.
    case invalidKey(String)
    /// The data was written by a newer Conduit, whose schema this build does not know.
    case schemaTooNew(found: Int, supported: Int)
    /// The environment or a record is damaged.
    case corrupted(String)
    /// A table or index that the opened schema does not declare (a programming error).
    case unknownDatabase(String)
    /// A record could not be encoded or decoded.
    case encoding(String)
    /// An operating-system error (open, mkdir, copy), with errno's text.
    case io(path: String, message: String)
    /// Any other LMDB failure.
    case lmdb(code: Int32, message: String)

    public var description: String {
        switch self {
        case .mapFull: "storage is full: the LMDB map size ([storage] map_size_mb) is exhausted"
        case .diskFull: "storage is full: no space left on the device"
        case .closed: "the store is closed"
        case let .notFound(table, id): "no \(table) record with id \(id)"
        case let .duplicateID(table, id): "a \(table) record with id \(id) already exists"
        case let .uniqueConstraint(index, key): "index \(index) already holds key '\(key)'"
        case let .quotaExceeded(accounts): "storage quota exceeded for account(s) \(accounts.joined(separator: ", "))"
        case let .invalidKey(reason): "invalid key: \(reason)"
        case let .schemaTooNew(found, supported):
            "the data has schema version \(found) but this build supports up to \(supported); upgrade Conduit"
        case let .corrupted(what): "store corrupted: \(what)"
        case let .unknownDatabase(name): "database \(name) is not part of the schema"
        case let .encoding(what): "record encoding failed: \(what)"
        case let .io(path, message): "\(path): \(message)"
        case let .lmdb(code, message): "LMDB error \(code): \(message)"
        }
    }

    /// `true` when the failure is about capacity: callers answer "try later"
    /// (SMTP 452, HTTP 507) instead of treating it as a bug.
    public var isCapacity: Bool { self == .mapFull || self == .diskFull }
}

extension StoreError {
    /// The one storage-full test every caller uses (services, API, SMTP):
    /// `true` for a full map or a full disk. Services turn it into their
    /// `storageFull` refusal, the API answers 507 `storage_full`, SMTP
    /// answers `452 4.3.1`.
    public static func isStorageFull(_ error: any Error) -> Bool {
        (error as? StoreError)?.isCapacity ?? false
    }

    /// Below this many free bytes on the store's file system, an I/O failure
    /// of a write is taken for a full disk (`Store.write`).
    static let fullDiskThresholdBytes = 4 << 20

    /// Failures a full disk can surface as besides ENOSPC.
    var mayBeFullDisk: Bool {
        switch self {
        case .io, .lmdb: true
        default: false
        }
    }
}
