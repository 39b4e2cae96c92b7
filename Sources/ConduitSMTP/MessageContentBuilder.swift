import NIOCore
import NIOPosix

/// Assembles one message's `MessageContent` while DATA arrives, on the
/// connection's event loop (docs/SMTP.md, "Memory"):
///
/// - the header block always stays in memory (at most `maxHeaderBlockBytes`),
/// - then bytes stay in memory while the message's in-memory part is under
///   `memoryThreshold` and the process-wide `DataBufferBudget` grants them,
/// - everything after that is appended to a spill file by the thread pool,
///   one write of up to a few `spillWriteBytes` in flight at a time; bytes
///   waiting for it count in the budget too.
///
/// `mustPauseReading` tells the handler to stop reading the socket: while
/// too much waits for the disk, or the budget is spent and this connection
/// still has bytes waiting. A paused builder always has a write in flight,
/// and `onProgress` runs when it lands, so reading always resumes.
final class MessageContentBuilder {
    let messageID: String
    private let settings: SMTPDataSettings
    private let observer: (any SMTPMessageObserver)?
    private let eventLoop: any EventLoop

    private var head = ByteBuffer()
    private var headReserved = 0
    private var scanner = HeaderBlockScanner()
    private var headerBlockLength: Int?
    private var headerBlockComplete = false

    /// Once true, every further byte goes to the file (order is kept).
    private var spilling = false
    private var file: SpillFile?
    private var spilled = 0
    private var pending = ByteBuffer()
    private var inFlight = 0
    private var failure: (any Error)?
    private var discarded = false
    private var completion: EventLoopPromise<(MessageContent, (any Sendable)?)>?
    private var observation: (any Sendable)?

    /// Runs on the event loop after a spill write lands.
    var onProgress: (() -> Void)?

    init(messageID: String, settings: SMTPDataSettings, observer: (any SMTPMessageObserver)?, eventLoop: any EventLoop) {
        self.messageID = messageID
        self.settings = settings
        self.observer = observer
        self.eventLoop = eventLoop
    }

    /// Whether the handler should leave further input in the kernel for now.
    var mustPauseReading: Bool {
        let waiting = pending.readableBytes + inFlight
        return waiting >= 2 * SMTPDataSettings.spillWriteBytes || (waiting > 0 && settings.budget.isExhausted)
    }

    /// Bytes currently held in memory (tests).
    var bytesInMemory: Int { head.readableBytes + pending.readableBytes + inFlight }

    /// Takes the next bytes of the message.
    func append(_ input: ByteBuffer) {
        guard !discarded, completion == nil else { return }
        var bytes = input
        if headerBlockLength == nil { takeHeader(&bytes) }
        guard bytes.readableBytes > 0 else { return }
        observer?.body(bytes.readableBytesView)
        let count = bytes.readableBytes
        if settings.spillDirectory == nil {
            settings.budget.forceReserve(count)
            headReserved += count
            head.writeBuffer(&bytes)
            return
        }
        if !spilling, head.readableBytes + count <= settings.memoryThreshold, settings.budget.tryReserve(count) {
            headReserved += count
            head.writeBuffer(&bytes)
            return
        }
        spilling = true
        // A failed spill write fails the message at the end; drop the rest.
        guard failure == nil else { return }
        // Already read: it is held until written, whether or not it fits.
        settings.budget.forceReserve(count)
        pending.writeBuffer(&bytes)
        startWrite()
    }

    /// Header bytes go to memory whatever the budget says, up to the limit.
    private func takeHeader(_ bytes: inout ByteBuffer) {
        let room = SMTPDataSettings.maxHeaderBlockBytes - head.readableBytes
        let view = bytes.readableBytesView.prefix(room)
        var take = view.count
        var ended = false
        if let end = scanner.scan(view) {
            take = end
            ended = true
        } else if view.count == room {
            ended = true  // over-long header section: the rest is kept like body bytes
        }
        var part = bytes.readSlice(length: take)!
        settings.budget.forceReserve(take)
        headReserved += take
        head.writeBuffer(&part)
        if ended { endHeaderBlock(complete: scanner.done) }
    }

    private func endHeaderBlock(complete: Bool) {
        headerBlockLength = head.readableBytes
        headerBlockComplete = complete
        observer?.headerBlock(head.readableBytesView, complete: complete)
    }

    /// Ends the message with `tail` (text not yet appended); the content
    /// once every spill write has landed, or the write error.
    func finish(tail: ByteBuffer) -> EventLoopFuture<(MessageContent, (any Sendable)?)> {
        guard !discarded, completion == nil else {
            return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
        }
        append(tail)
        if headerBlockLength == nil {
            // No empty line: the message is all header (as DKIM reads it).
            endHeaderBlock(complete: true)
        }
        observation = observer?.finish()
        let promise = eventLoop.makePromise(of: (MessageContent, (any Sendable)?).self)
        completion = promise
        startWrite()
        completeIfDone()
        return promise.futureResult
    }

    /// Drops everything (oversize message, connection gone).
    func discard() {
        guard !discarded else { return }
        discarded = true
        settings.budget.release(headReserved + pending.readableBytes)
        headReserved = 0
        head = ByteBuffer()
        pending = ByteBuffer()
        file = nil
        completion?.fail(ChannelError.ioOnClosedChannel)
        completion = nil
    }

    /// Starts a write of what is pending when none is in flight and there
    /// is enough to write, the budget is spent, or the message is complete.
    private func startWrite() {
        guard inFlight == 0, failure == nil, !discarded, pending.readableBytes > 0,
              pending.readableBytes >= SMTPDataSettings.spillWriteBytes || completion != nil || settings.budget.isExhausted,
              let directory = settings.spillDirectory else { return }
        let chunk = pending
        pending = ByteBuffer()
        inFlight = chunk.readableBytes
        let offset = spilled
        let existing = file
        let written = settings.threadPool.runIfActive(eventLoop: eventLoop) { () throws -> SpillFile in
            let file = try existing ?? SpillFile.create(in: directory)
            try chunk.withUnsafeReadableBytes { bytes throws(SpillFileError) in try file.write(bytes, at: offset) }
            return file
        }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        written.whenComplete { result in bound.value.writeLanded(result) }
    }

    private func writeLanded(_ result: Result<SpillFile, any Error>) {
        let count = inFlight
        inFlight = 0
        guard !discarded else {
            // `discard` released what was pending, not what was in flight.
            settings.budget.release(count)
            return
        }
        settings.budget.release(count)
        switch result {
        case let .success(file):
            self.file = file
            spilled += count
        case let .failure(error):
            failure = error
            settings.budget.release(pending.readableBytes)
            pending = ByteBuffer()
        }
        startWrite()
        completeIfDone()
        onProgress?()
    }

    private func completeIfDone() {
        guard let completion, inFlight == 0 else { return }
        if let failure {
            self.completion = nil
            settings.budget.release(headReserved)
            headReserved = 0
            completion.fail(failure)
            return
        }
        guard pending.readableBytes == 0 else { return }
        self.completion = nil
        let content = MessageContent(
            inMemory: head, headerBlockLength: headerBlockLength ?? head.readableBytes, headerBlockComplete: headerBlockComplete,
            spill: spilled > 0 ? file : nil, spilledBytes: spilled,
            reservation: BudgetReservation(budget: settings.budget, bytes: headReserved)
        )
        headReserved = 0
        head = ByteBuffer()
        completion.succeed((content, observation))
    }
}
