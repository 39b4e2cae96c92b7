import Logging
import NIOCore
import NIOSSL
import NIOTLS

/// Drives one `SMTPSession` on a channel: frames input with
/// `SMTPLineDecoder`, feeds the session, performs what it asks (replies,
/// backend calls, STARTTLS) and holds further input while a backend call is
/// outstanding. All state lives on the channel's event loop, and so does the
/// backend session: an answer it decides at once (`SMTPBackendAnswer.reply`)
/// is written in the same turn, with no task; only a `.pending` answer waits.
///
/// Replies to pipelined commands are written as they are produced and
/// flushed once the input at hand is used up or before waiting on the
/// backend (RFC 2920 §3.2): one segment per batch, not per reply.
final class SMTPServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent through the pipeline to ask a connection to end (graceful shutdown).
    struct ShutdownEvent: Sendable {}

    private var session: SMTPSession
    private var decoder: SMTPLineDecoder
    private let backend: any SMTPBackendSession
    private let tls: SMTPTLSProvider?
    private let logger: Logger
    /// Input received but not yet framed or fed.
    private var buffer = ByteBuffer()
    /// Input held while the backend works; past this, stop reading the socket.
    private let maxBufferedBytes: Int
    private var readHeld = false
    private var closing = false
    private var shutdownRequested = false
    /// A refusal (too many connections) sent instead of the banner.
    private let refusal: SMTPReply?
    /// How message text is held (memory, spill file, budget).
    private let dataSettings: SMTPDataSettings
    /// The message being received: text streams into it batch by batch.
    private var builder: MessageContentBuilder?

    init(
        session: SMTPSession,
        backend: any SMTPBackendSession,
        tls: SMTPTLSProvider?,
        maxLineLength: Int,
        refusal: SMTPReply? = nil,
        data: SMTPDataSettings = .inMemory,
        logger: Logger
    ) {
        self.dataSettings = data
        self.session = session
        self.decoder = SMTPLineDecoder(maxLineLength: maxLineLength)
        self.backend = backend
        self.tls = tls
        self.refusal = refusal
        self.logger = logger
        self.maxBufferedBytes = max(64 * 1024, maxLineLength * 4)
    }

    func channelActive(context: ChannelHandlerContext) {
        if let refusal {
            send(refusal, context: context)
            close(context: context)
        } else {
            send(session.greeting(), context: context)
            context.flush()
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closing = true
        builder?.discard()
        builder = nil
        backend.close()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        process(context: context)
    }

    func read(context: ChannelHandlerContext) {
        // Backpressure: while the backend works, buffer up to a limit, then
        // leave the rest in the kernel until the session can take input.
        if session.isAwaitingBackend, buffer.readableBytes >= maxBufferedBytes {
            readHeld = true
            return
        }
        // Spill writes behind, or the DATA budget spent: the kernel holds the
        // client's next bytes until a write lands (`MessageContentBuilder`).
        if builder?.mustPauseReading == true {
            readHeld = true
            return
        }
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let idle as IdleStateHandler.IdleStateEvent where idle == .read:
            // The client waiting for our backend, or for our spill writes, is not idle.
            guard !session.isAwaitingBackend, builder?.mustPauseReading != true, !closing else { return }
            send(session.timedOut(), context: context)
            close(context: context)
        case is ShutdownEvent:
            shutdownRequested = true
            guard !session.isAwaitingBackend, !closing else { return }
            send(session.shuttingDown(), context: context)
            close(context: context)
        case let event as TLSUserEvent:
            if case .handshakeCompleted = event, !closing {
                logger.debug("SMTP TLS established")
                // The backend drops its AUTH state during this call, before
                // any input sent inside TLS is read.
                _ = perform(session.tlsEstablished(), context: context)
            }
            context.fireUserInboundEventTriggered(event)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("SMTP connection error", metadata: ["error": "\(error)"])
        closing = true
        context.close(promise: nil)
    }

    /// Frames and feeds buffered input until it runs out, the session waits
    /// for the backend, or the connection ends.
    private func process(context: ChannelHandlerContext) {
        var wrote = false
        while !closing, !session.isAwaitingBackend, let frame = decoder.nextMessage(&buffer) {
            wrote = perform(session.receive(frame), context: context) || wrote
        }
        streamText(context: context)
        if wrote, !closing { context.flush() }
        buffer.discardReadBytes()
    }

    /// Carries out one action; `true` when it wrote something unflushed.
    private func perform(_ action: SMTPSession.Action, context: ChannelHandlerContext) -> Bool {
        switch action {
        case .none:
            return false
        case let .reply(reply):
            send(reply, context: context)
            return true
        case let .replyAndClose(reply):
            send(reply, context: context)
            close(context: context)
            return false
        case let .startTLS(reply):
            startTLS(reply, context: context)
            return false
        case let .backend(call):
            switch callBackend(call, context: context) {
            case let .reply(reply):
                // Decided on the loop: answered in this turn, flushed with the batch.
                return perform(session.backendReplied(reply), context: context)
            case let .pending(future):
                context.flush()
                awaitBackend(future, context: context)
                return false
            }
        }
    }

    /// Moves the message text the session gathered from this batch into the
    /// message's builder (memory or spill file).
    private func streamText(context: ChannelHandlerContext) {
        // Over the size limit (the text is dropped) or ended with a refusal:
        // the builder's memory and file go now, not at the next message.
        if !session.isReceivingText || session.isDroppingText {
            builder?.discard()
            builder = nil
            return
        }
        messageBuilder(context: context).append(session.takeText())
    }

    /// The builder of the message the session is receiving, made on first use.
    private func messageBuilder(context: ChannelHandlerContext) -> MessageContentBuilder {
        if let builder, builder.messageID == session.currentMessageID { return builder }
        builder?.discard()
        let made = MessageContentBuilder(
            messageID: session.currentMessageID, settings: dataSettings, observer: backend.makeMessageObserver(),
            eventLoop: context.eventLoop
        )
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        made.onProgress = {
            let (handler, context) = bound.value
            handler.resumeReadingIfHeld(context: context)
        }
        builder = made
        return made
    }

    /// Reads again when nothing holds input back any more.
    private func resumeReadingIfHeld(context: ChannelHandlerContext) {
        guard readHeld, !closing, !session.isAwaitingBackend, builder?.mustPauseReading != true else { return }
        readHeld = false
        context.read()
    }

    private func startTLS(_ reply: SMTPReply, context: ChannelHandlerContext) {
        guard let sslContext = tls?.current else {
            // The certificate vanished since EHLO (failed reload): say so.
            send(SMTPReply(454, "4.7.0", "TLS not available due to temporary reason"), context: context)
            session.tlsFailed()
            context.flush()
            return
        }
        // The 220 leaves in plaintext before the TLS handler joins the
        // pipeline; whatever the client pipelined behind STARTTLS is
        // discarded (RFC 3207 §4.2, CVE-2011-0411).
        send(reply, context: context)
        context.flush()
        buffer.clear()
        decoder = SMTPLineDecoder(maxLineLength: decoder.maxLineLength)
        do {
            try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext), position: .first)
        } catch {
            logger.warning("SMTP STARTTLS failed", metadata: ["error": "\(error)"])
            close(context: context)
        }
    }

    /// Asks the backend; `.data` goes through `deliverMessage` (its text may
    /// still be landing in a spill file) and always answers `.pending`.
    private func callBackend(_ call: SMTPSession.BackendCall, context: ChannelHandlerContext) -> SMTPBackendAnswer {
        switch call {
        case let .authenticate(username, password):
            return backend.authenticate(username: username, password: password)
        case let .mail(sender, parameters, transaction):
            return backend.mail(from: sender, parameters: parameters, context: transaction)
        case let .rcpt(recipient):
            return backend.rcpt(to: recipient)
        case let .data(message):
            return .pending(deliverMessage(message, context: context))
        case .tlsStarted:
            backend.tlsStarted()
            // Never sent: the session answers a TLS reset with no reply.
            return .reply(SMTPReply(220, "2.0.0", "TLS reset"))
        }
    }

    /// A reply the backend will give later: input stays held until it is back
    /// on this loop.
    private func awaitBackend(_ future: EventLoopFuture<SMTPReply>, context: ChannelHandlerContext) {
        let logger = logger
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        future.hop(to: context.eventLoop).whenComplete { result in
            let (handler, context) = bound.value
            switch result {
            case let .success(reply):
                handler.backendReplied(reply, context: context)
            case let .failure(error):
                logger.error("SMTP backend failed", metadata: ["error": "\(error)"])
                handler.backendReplied(SMTPReply(451, "4.3.0", "Temporary local problem, try again later"), context: context)
            }
        }
    }

    /// End of DATA: the builder takes the last text and waits for its spill
    /// writes; then the backend gets the message. A spill file that cannot
    /// be written answers `452 4.3.1` when the disk is full, else `451`
    /// (either way the client keeps the message).
    private func deliverMessage(_ message: SMTPMessage, context: ChannelHandlerContext) -> EventLoopFuture<SMTPReply> {
        let builder = messageBuilder(context: context)
        self.builder = nil
        let finished = builder.finish(tail: message.content.inMemory)
        let logger = logger
        let eventLoop = context.eventLoop
        let id = message.id
        let backend = backend
        // `finished` is a future of this loop: the backend is called on it, as it must be.
        return finished.flatMap { content, observation in
            let complete = SMTPMessage(id: message.id, content: content, recipients: message.recipients, observation: observation)
            switch backend.data(complete) {
            case let .reply(reply): return eventLoop.makeSucceededFuture(reply)
            case let .pending(future):
                return future.hop(to: eventLoop).recover { error in
                    logger.error("SMTP backend failed", metadata: ["id": "\(id)", "error": "\(error)"])
                    return SMTPReply(451, "4.3.0", "Temporary local problem, try again later")
                }
            }
        }.flatMapErrorWithEventLoop { error, eventLoop in
            logger.error("SMTP message text could not be kept", metadata: ["id": "\(id)", "error": "\(error)"])
            if let spill = error as? SpillFileError, spill.isDiskFull {
                return eventLoop.makeSucceededFuture(SMTPReply(452, "4.3.1", "Insufficient system storage, try again later"))
            }
            return eventLoop.makeSucceededFuture(SMTPReply(451, "4.3.0", "Temporary local problem, try again later"))
        }
    }

    private func backendReplied(_ reply: SMTPReply, context: ChannelHandlerContext) {
        guard !closing else { return }
        if perform(session.backendReplied(reply), context: context), !closing { context.flush() }
        if shutdownRequested, !closing {
            send(session.shuttingDown(), context: context)
            close(context: context)
            return
        }
        process(context: context)
        resumeReadingIfHeld(context: context)
    }

    private func send(_ reply: SMTPReply, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(context.channel.allocator.buffer(string: reply.wire)), promise: nil)
    }

    /// Flushes what is written, then closes.
    private func close(context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
