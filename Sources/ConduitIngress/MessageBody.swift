import ConduitStore
import NIOCore

/// The message text as the spool writer reads it: straight from the SMTP
/// handler's buffer into LMDB, no intermediate copy. (`ByteBuffer` is
/// copy-on-write and Sendable, so the writer thread may read it.)
struct MessageBody: SpoolBody {
    let buffer: ByteBuffer

    var count: Int { buffer.readableBytes }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeReadableBytes(body)
    }
}
