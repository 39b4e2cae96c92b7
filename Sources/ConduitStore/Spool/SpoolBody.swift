/// Bytes of a raw message, readable as one contiguous buffer.
///
/// The spool writes a body with a single `mdb_put` from this buffer, so the
/// ingress can hand over the buffer it received DATA into (e.g. a NIO
/// `ByteBuffer`, conformed where NIO is imported) without copying it.
/// `withUnsafeBytes` must pass exactly `count` bytes, and may be called on the
/// spool's writer thread, so the value must be safe to read from another thread.
public protocol SpoolBody: Sendable {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
    var count: Int { get }
}

extension Array: SpoolBody where Element == UInt8 {}
