import ConduitSMTP
import ConduitStore

/// The message text as the spool writer reads it: from the SMTP handler's
/// `MessageContent` (memory, then the spill file) straight into the space
/// LMDB reserved for it — one copy, on the writer thread.
struct MessageBody: SpoolBody {
    let content: MessageContent

    var count: Int { content.count }

    func write(into destination: UnsafeMutableRawBufferPointer) throws {
        try content.write(into: destination)
    }
}
