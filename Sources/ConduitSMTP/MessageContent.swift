public import NIOCore

/// The text of one received message (the `Received:` header this server
/// adds, then the client's text, dot-unstuffed), held the way DATA left it
/// (docs/SMTP.md, "Memory"): the start in memory — always the whole header
/// block when it is at most `SMTPDataSettings.maxHeaderBlockBytes`, and
/// body bytes up to `memoryThreshold` while the process-wide budget allows —
/// and everything after that in an unlinked spill file.
///
/// Immutable once built; reading the spilled part blocks (`write(into:)`
/// runs on the spool's writer thread). The memory and the file are released
/// with the last reference.
public final class MessageContent: Sendable {
    /// The bytes kept in memory: the first `inMemory.readableBytes` of the message.
    public let inMemory: ByteBuffer
    /// How many of the first bytes are the header block: every byte up to
    /// and including the line feed of the first empty line.
    public let headerBlockLength: Int
    /// Whether the empty line ending the header block was found within
    /// `maxHeaderBlockBytes`; when not, `headerBlock` is only the start of
    /// an over-long header section (or a message with no body).
    public let headerBlockComplete: Bool
    private let spill: SpillFile?
    /// Bytes in the spill file, following `inMemory`.
    public let spilledBytes: Int
    private let reservation: BudgetReservation?

    /// A message held wholly in memory (tests, the pure session).
    public convenience init(_ buffer: ByteBuffer) {
        let split = HeaderBlockScanner.split(buffer.readableBytesView)
        self.init(inMemory: buffer, headerBlockLength: split.length, headerBlockComplete: split.complete, spill: nil, spilledBytes: 0, reservation: nil)
    }

    init(inMemory: ByteBuffer, headerBlockLength: Int, headerBlockComplete: Bool, spill: SpillFile?, spilledBytes: Int, reservation: BudgetReservation?) {
        self.inMemory = inMemory
        self.headerBlockLength = headerBlockLength
        self.headerBlockComplete = headerBlockComplete
        self.spill = spill
        self.spilledBytes = spilledBytes
        self.reservation = reservation
    }

    /// The message size in bytes.
    public var count: Int { inMemory.readableBytes + spilledBytes }

    /// Whether part of the message is in a spill file.
    public var isSpilled: Bool { spilledBytes > 0 }

    /// The header block (always in memory).
    public var headerBlock: ByteBufferView {
        inMemory.readableBytesView.prefix(headerBlockLength)
    }

    /// Copies the whole message into `destination`, which holds exactly
    /// `count` bytes. Blocks while it reads the spill file.
    public func write(into destination: UnsafeMutableRawBufferPointer) throws {
        precondition(destination.count == count, "destination must hold the whole message")
        let head = inMemory.readableBytes
        inMemory.withUnsafeReadableBytes { UnsafeMutableRawBufferPointer(rebasing: destination[0..<head]).copyMemory(from: $0) }
        guard let spill, spilledBytes > 0 else { return }
        try spill.read(into: UnsafeMutableRawBufferPointer(rebasing: destination[head...]), at: 0)
    }

    /// The whole message in one array. Blocks while it reads the spill file;
    /// for tests and small messages only — the mail path never gathers a message.
    public func bytes() throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            try write(into: UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }
}

/// Finds the end of the header block: the line feed of the first line that
/// holds nothing but, perhaps, one CR (the split DKIM makes, bare LF read as CRLF).
struct HeaderBlockScanner {
    /// Length of the line so far, and whether its first byte is CR.
    private var lineLength = 0
    private var lineStartsWithCR = false
    private(set) var done = false

    /// Scans `bytes`; returns the index just past the header block's end
    /// when it lies in them.
    mutating func scan(_ bytes: some Collection<UInt8>) -> Int? {
        var offset = 0
        for byte in bytes {
            offset += 1
            if byte == UInt8(ascii: "\n") {
                if lineLength == 0 || (lineLength == 1 && lineStartsWithCR) {
                    done = true
                    return offset
                }
                lineLength = 0
                lineStartsWithCR = false
            } else {
                if lineLength == 0 { lineStartsWithCR = byte == UInt8(ascii: "\r") }
                lineLength += 1
            }
        }
        return nil
    }

    /// The header block of a message held whole.
    static func split(_ bytes: some Collection<UInt8>) -> (length: Int, complete: Bool) {
        var scanner = HeaderBlockScanner()
        if let end = scanner.scan(bytes) { return (end, true) }
        return (bytes.count, false)
    }
}
