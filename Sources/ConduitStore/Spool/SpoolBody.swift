/// The bytes of a raw message as the spool writes them: `count`, then
/// every byte copied once into space reserved in the map (`MDB_RESERVE`).
///
/// The body may come from memory, a file or both (the SMTP ingress keeps
/// the start of a large message in memory and the rest in a spill file),
/// so it is never gathered into one buffer first. `write(into:)` runs on
/// the spool's writer thread (so the value must be safe to read from
/// another thread; blocking file reads are fine there), must fill exactly
/// `count` bytes, and throws when it cannot (a spill file that cannot be
/// read): that entry then fails alone.
public protocol SpoolBody: Sendable {
    var count: Int { get }
    /// Copies the body into `destination`, which holds exactly `count` bytes.
    func write(into destination: UnsafeMutableRawBufferPointer) throws
}

extension Array: SpoolBody where Element == UInt8 {
    public func write(into destination: UnsafeMutableRawBufferPointer) throws {
        precondition(destination.count == count, "destination must hold the whole body")
        destination.copyBytes(from: self)
    }
}
