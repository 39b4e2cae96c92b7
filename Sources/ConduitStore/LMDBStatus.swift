import CLMDB
import Glibc

/// Turns an LMDB return code into a `StoreError` (or nothing for success).
func check(_ rc: Int32, path: String = "") throws(StoreError) {
    guard rc != 0 else { return }
    throw StoreError(lmdbCode: rc, path: path)
}

extension StoreError {
    init(lmdbCode rc: Int32, path: String = "") {
        switch rc {
        case MDB_MAP_FULL: self = .mapFull
        case ENOSPC: self = .diskFull
        case MDB_CORRUPTED, MDB_PANIC, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_VERSION_MISMATCH:
            self = .corrupted(String(cString: mdb_strerror(rc)))
        case 1...Int32(Int16.max):
            // Positive codes are errno values from the file system.
            self = .io(path: path, message: String(cString: strerror(rc)))
        default:
            self = .lmdb(code: rc, message: String(cString: mdb_strerror(rc)))
        }
    }
}
