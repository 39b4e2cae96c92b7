public import NIOCore
public import NIOPosix

/// How message text is held while DATA is received (docs/SMTP.md, "Memory").
public struct SMTPDataSettings: Sendable {
    /// The longest header block kept in memory whatever the budget says
    /// (Exim's `header_maxsize` is 1 MB, Postfix's `header_size_limit`
    /// 100 KiB). Bytes past it are treated as body for storage; DKIM then
    /// cannot see the whole header section and gives `permerror`.
    public static let maxHeaderBlockBytes = 256 * 1024
    /// Spill writes are made in pieces of this size, one in flight per connection.
    public static let spillWriteBytes = 64 * 1024

    /// Body bytes of one message kept in memory before the rest goes to the
    /// spill file (`smtp.data_memory_kb`).
    public var memoryThreshold: Int
    /// The process-wide budget of buffered DATA bytes (`smtp.data_buffer_budget_mb`).
    public var budget: DataBufferBudget
    /// Where spill files go (`<storage.path>/spill`); `nil` keeps every
    /// message in memory (tests only).
    public var spillDirectory: String?
    /// The threads spill files are written on.
    public var threadPool: NIOThreadPool

    public init(memoryThreshold: Int, budget: DataBufferBudget, spillDirectory: String?, threadPool: NIOThreadPool = .singleton) {
        self.memoryThreshold = max(0, memoryThreshold)
        self.budget = budget
        self.spillDirectory = spillDirectory
        self.threadPool = threadPool
    }

    /// Everything in memory, no budget: for tests that do not exercise spilling.
    public static let inMemory = SMTPDataSettings(
        memoryThreshold: Int.max / 4, budget: DataBufferBudget(limit: Int.max / 4), spillDirectory: nil
    )

    /// Creates the spill directory (0700) and removes files an earlier
    /// process left in it; call once at start.
    public static func prepareSpillDirectory(_ path: String) throws {
        try SpillFile.prepareDirectory(path)
    }
}

/// Watches a message's text as DATA delivers it, on the connection's event
/// loop, so a backend can compute what it needs (DKIM body hashes) without
/// the text ever being held whole. `SMTPBackendSession.makeMessageObserver()`
/// makes one per message.
public protocol SMTPMessageObserver: AnyObject {
    /// The header block, once: every byte up to and including the empty
    /// line, or the first `maxHeaderBlockBytes` when no empty line came by
    /// then (`complete` false: body bytes may still hold header fields).
    func headerBlock(_ bytes: ByteBufferView, complete: Bool)
    /// The next body bytes, in order, in chunks of any size.
    func body(_ bytes: ByteBufferView)
    /// The end of the text: what the backend finds in `SMTPMessage.observation`.
    func finish() -> (any Sendable)?
}
