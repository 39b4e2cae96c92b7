import Dispatch
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing
@testable import ConduitSMTP

/// DATA beyond the memory threshold goes to an unlinked spill file and comes
/// back byte for byte; the budget stops reads while spill writes are behind
/// and starts them again when they land; leftovers are removed at start.
@Suite struct MessageSpillTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("spill-\(UUID().uuidString)").path
        try SMTPDataSettings.prepareSpillDirectory(path)
        return path
    }

    static func entries(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    /// Counts the `read()` calls that get past the SMTP handler.
    final class ReadCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = Any
        let reads = Atomic(0)
        func read(context: ChannelHandlerContext) {
            reads.add(1, ordering: .relaxed)
            context.read()
        }
    }

    static func channel(
        _ backend: SMTPServerHandlerTests.RecordingBackend, data: SMTPDataSettings, counter: ReadCounter? = nil
    ) async throws -> NIOAsyncTestingChannel {
        let settings = SMTPSession.Settings(hostname: "mx.test", maxMessageBytes: 50_000_000, makeID: { "Q1" })
        let channel = try await NIOAsyncTestingChannel { channel in
            if let counter { try channel.pipeline.syncOperations.addHandler(counter) }
            let handler = SMTPServerHandler(
                session: SMTPSession(settings: settings, connection: SMTPConnectionInfo(remoteIP: "192.0.2.1", remotePort: 1)),
                backend: backend, tls: nil, maxLineLength: 1000, data: data, logger: Logger(label: "test")
            )
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 1))
        return channel
    }

    /// A message text of about `size` bytes, lines of varied length, no line starting with a dot.
    static func text(size: Int) -> String {
        var lines = ["Subject: big", "Message-ID: <big@example.org>", ""]
        var total = 0
        var n = 0
        while total < size {
            let line = String(repeating: Character(UnicodeScalar(UInt8(97 + n % 26))), count: 1 + (n * 37) % 900)
            lines.append(line)
            total += line.utf8.count + 2
            n += 1
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    @Test func aMessageOverTheThresholdSpillsAndReadsBackByteForByte() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let budget = DataBufferBudget(limit: 8 << 20)
        let data = SMTPDataSettings(memoryThreshold: 16 * 1024, budget: budget, spillDirectory: directory)
        let backend = SMTPServerHandlerTests.RecordingBackend()
        let channel = try await Self.channel(backend, data: data)
        try await channel.writeInbound(ByteBuffer(string: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hook@x.test>\r\nDATA\r\n"))
        _ = try await SMTPServerHandlerTests.replies(channel, count: 4)
        let text = Self.text(size: 3 << 20)
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {  // uneven reads, as a socket gives them
            let end = min(bytes.count, offset + 1 + (offset * 7919) % 65_536)
            try await channel.writeInbound(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
        try await channel.writeInbound(ByteBuffer(string: ".\r\n"))
        let lines = try await SMTPServerHandlerTests.replies(channel, count: 5)
        #expect(lines.last == "250 2.0.0 OK queued as Q1")
        do {
            let message = try #require(backend.messages.withLock { $0.first })
            #expect(message.content.isSpilled)
            #expect(message.content.inMemory.readableBytes <= 16 * 1024)
            let stored = try message.content.bytes()
            let received = String(decoding: stored, as: UTF8.self)
            #expect(received.hasPrefix("Received: from c.example"))
            #expect(Array(stored.suffix(bytes.count)) == bytes)
            #expect(message.content.count == stored.count)
            #expect(String(decoding: Array(message.content.headerBlock), as: UTF8.self).hasSuffix("Message-ID: <big@example.org>\r\n\r\n"))
            // The file is unlinked from the start: nothing to see, nothing to clean.
            #expect(Self.entries(directory).isEmpty)
            // Only the in-memory start is still charged to the budget, until the message goes.
            #expect(budget.inUse == message.content.inMemory.readableBytes)
        }
        backend.messages.withLock { $0.removeAll() }
        #expect(budget.inUse == 0)
        try await channel.close()
    }

    @Test func theSpentBudgetHoldsReadsUntilTheSpillWriteLands() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // One spill thread, kept busy until the test lets it go: the write
        // stays in flight as long as the test wants.
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let gate = DispatchSemaphore(value: 0)
        pool.submit { _ in gate.wait() }
        // No budget at all: every body byte spills and waits for the disk.
        let budget = DataBufferBudget(limit: 0)
        let data = SMTPDataSettings(memoryThreshold: 1 << 20, budget: budget, spillDirectory: directory, threadPool: pool)
        let backend = SMTPServerHandlerTests.RecordingBackend()
        let counter = ReadCounter()
        let channel = try await Self.channel(backend, data: data, counter: counter)
        try await channel.writeInbound(ByteBuffer(string: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hook@x.test>\r\nDATA\r\n"))
        _ = try await SMTPServerHandlerTests.replies(channel, count: 4)

        try await channel.writeInbound(ByteBuffer(string: "Subject: x\r\n\r\n" + String(repeating: "0123456789abcdef\r\n", count: 8000)))
        let before = counter.reads.load(ordering: .relaxed)
        channel.pipeline.read()
        try await Task.sleep(for: .milliseconds(50))
        #expect(counter.reads.load(ordering: .relaxed) == before, "read while the spill write is behind")
        #expect(budget.inUse > 0)

        gate.signal()  // the write lands; the handler reads again by itself
        let deadline = ContinuousClock.now + .seconds(60)  // only ends a broken run
        while counter.reads.load(ordering: .relaxed) == before, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(counter.reads.load(ordering: .relaxed) > before, "reading did not resume")

        try await channel.writeInbound(ByteBuffer(string: ".\r\n"))
        let lines = try await SMTPServerHandlerTests.replies(channel, count: 5)
        #expect(lines.last == "250 2.0.0 OK queued as Q1")
        #expect(try #require(backend.messages.withLock { $0.first }).content.isSpilled)
        backend.messages.withLock { $0.removeAll() }
        #expect(budget.inUse == 0)
        try await channel.close()
        try await pool.shutdownGracefully()
    }

    @Test func anOversizeMessageAndADroppedConnectionGiveTheirBytesBack() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let budget = DataBufferBudget(limit: 8 << 20)
        let data = SMTPDataSettings(memoryThreshold: 4096, budget: budget, spillDirectory: directory)
        let backend = SMTPServerHandlerTests.RecordingBackend()
        let channel = try await Self.channel(backend, data: data)
        try await channel.writeInbound(ByteBuffer(string: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hook@x.test>\r\nDATA\r\n"))
        _ = try await SMTPServerHandlerTests.replies(channel, count: 4)
        try await channel.writeInbound(ByteBuffer(string: Self.text(size: 600_000)))
        #expect(budget.inUse > 0)
        try await channel.close()
        let deadline = ContinuousClock.now + .seconds(60)  // only ends a broken run
        while budget.inUse > 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(budget.inUse == 0)
        #expect(backend.messages.withLock { $0.isEmpty })
    }

    @Test func anOverlongHeaderSectionIsStoredWholeButOnly256KiBCountAsHeaderBlock() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = SMTPDataSettings(memoryThreshold: 4096, budget: DataBufferBudget(limit: 8 << 20), spillDirectory: directory)
        let backend = SMTPServerHandlerTests.RecordingBackend()
        let channel = try await Self.channel(backend, data: data)
        try await channel.writeInbound(ByteBuffer(string: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hook@x.test>\r\nDATA\r\n"))
        _ = try await SMTPServerHandlerTests.replies(channel, count: 4)
        let header = (0..<4000).map { "X-Filler-\($0): " + String(repeating: "h", count: 80) + "\r\n" }.joined()
        let text = header + "\r\nbody\r\n"
        try await channel.writeInbound(ByteBuffer(string: text + ".\r\n"))
        let lines = try await SMTPServerHandlerTests.replies(channel, count: 5)
        #expect(lines.last == "250 2.0.0 OK queued as Q1")
        let message = try #require(backend.messages.withLock { $0.first })
        #expect(!message.content.headerBlockComplete)
        #expect(message.content.headerBlockLength == SMTPDataSettings.maxHeaderBlockBytes)
        #expect(message.content.isSpilled)
        #expect(String(decoding: try message.content.bytes(), as: UTF8.self).hasSuffix(text))
        try await channel.close()
    }

    @Test func aSpillFileThatCannotBeWrittenAnswers451AndFreesTheBudget() async throws {
        let budget = DataBufferBudget(limit: 8 << 20)
        let data = SMTPDataSettings(memoryThreshold: 1024, budget: budget, spillDirectory: "/nonexistent/conduit-spill")
        let backend = SMTPServerHandlerTests.RecordingBackend()
        let channel = try await Self.channel(backend, data: data)
        try await channel.writeInbound(ByteBuffer(string: "EHLO c.example\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<hook@x.test>\r\nDATA\r\n"))
        _ = try await SMTPServerHandlerTests.replies(channel, count: 4)
        try await channel.writeInbound(ByteBuffer(string: Self.text(size: 300_000) + ".\r\nNOOP\r\n"))
        let lines = try await SMTPServerHandlerTests.replies(channel, count: 6)
        #expect(Array(lines.suffix(2)) == ["451 4.3.0 Temporary local problem, try again later", "250 2.0.0 OK"])
        #expect(backend.messages.withLock { $0.isEmpty })
        #expect(budget.inUse == 0)
        try await channel.close()
    }

    @Test func leftoversOfAnEarlierProcessAreRemovedAtStart() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/spill-abc123", contents: Data("old".utf8))
        try SMTPDataSettings.prepareSpillDirectory(directory)
        #expect(Self.entries(directory).isEmpty)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test func headerBlockEndsAtTheFirstEmptyLineWithOrWithoutCR() {
        #expect(HeaderBlockScanner.split(Array("A: b\r\n\r\nbody".utf8)) == (8, true))
        #expect(HeaderBlockScanner.split(Array("A: b\n\nbody".utf8)) == (6, true))
        #expect(HeaderBlockScanner.split(Array("A: b\r\n\r\r\n".utf8)).complete == false)
        #expect(HeaderBlockScanner.split(Array("A: b\r\nC: d".utf8)) == (10, false))
    }
}
