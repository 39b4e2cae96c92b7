import NIOCore
import NIOHTTP1

/// What one request/response exchange came back with.
struct ExchangeResult: Sendable, Equatable {
    var status: Int
    var retryAfter: String?
    /// Whether the connection may carry another request (keep-alive, body
    /// read to its end within the drain limit, nothing cut short).
    var reusable: Bool
}

/// Why an exchange ended without a response head.
enum ExchangeFailure: Error, Sendable {
    /// The peer closed the connection before a response head.
    case closedBeforeAnswer
    /// The deadline passed before a response head.
    case timedOut
}

/// Reads the responses on one client connection, one exchange at a time
/// (no pipelining): `begin` arms it with a promise, the response head
/// fulfils nothing yet, the end of the body (or the drain limit, a close,
/// an error or the deadline) completes the promise.
///
/// States: idle → awaiting the head → reading (and discarding) the body →
/// idle; closed is final. Runs on the channel's event loop only.
final class HTTPExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private enum State {
        case idle
        case awaitingHead(EventLoopPromise<ExchangeResult>)
        case readingBody(EventLoopPromise<ExchangeResult>, ExchangeResult, drained: Int)
        case closed
    }

    /// How much of a response body is read (and thrown away) before the
    /// connection is closed instead of reused.
    let maxDrainBytes: Int
    private var state = State.idle
    /// The first error seen while no exchange ran (a TLS handshake that
    /// failed before the request was written): the reason a later `begin` fails with.
    private var closeReason: (any Error)?
    private var context: ChannelHandlerContext?
    /// The running exchange's deadline. The handler owns it, so it can only
    /// ever end the exchange it was set for: a timer the caller cancelled
    /// from its task could fire after the exchange ended (when that task
    /// resumed late) and close a connection that was already idle.
    private var deadlineTimer: Scheduled<Void>?

    init(maxDrainBytes: Int) {
        self.maxDrainBytes = maxDrainBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Arms the handler for the response to the request about to be
    /// written; past `deadline` the exchange fails with
    /// `ExchangeFailure.timedOut` (or ends with the head that came).
    func begin(_ promise: EventLoopPromise<ExchangeResult>, deadline: NIODeadline) {
        switch state {
        case .idle:
            state = .awaitingHead(promise)
            let exchange = promise.futureResult
            deadlineTimer = promise.futureResult.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                deadlineTimer = nil
                if case let .awaitingHead(current) = state, current.futureResult === exchange { abort(ExchangeFailure.timedOut) }
                if case let .readingBody(current, _, _) = state, current.futureResult === exchange { abort(ExchangeFailure.timedOut) }
            }
        case .closed:
            promise.fail(closeReason ?? ExchangeFailure.closedBeforeAnswer)
        case .awaitingHead, .readingBody:
            // One exchange at a time is the caller's contract (a leased connection).
            promise.fail(ChannelError.inappropriateOperationForState)
        }
    }

    /// The deadline passed, or writing the request failed (`error`): ends
    /// the exchange with what is known and closes the connection.
    func abort(_ error: any Error) {
        cancelDeadline()
        switch state {
        case let .awaitingHead(promise):
            state = .closed
            promise.fail(error)
        case let .readingBody(promise, result, _):
            state = .closed
            promise.succeed(ExchangeResult(status: result.status, retryAfter: result.retryAfter, reusable: false))
        case .idle:
            closeReason = error
            state = .closed
        case .closed:
            break
        }
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case let (.head(head), .awaitingHead(promise)):
            let result = ExchangeResult(status: Int(head.status.code), retryAfter: head.headers.first(name: "retry-after"), reusable: head.isKeepAlive)
            state = .readingBody(promise, result, drained: 0)
        case let (.body(chunk), .readingBody(promise, result, drained)):
            let total = drained + chunk.readableBytes
            if total > maxDrainBytes {
                finish(promise, result, reusable: false, context: context)
            } else {
                state = .readingBody(promise, result, drained: total)
            }
        case let (.end, .readingBody(promise, result, _)):
            finish(promise, result, reusable: result.reusable, context: context)
        case (_, .closed):
            break
        default:
            // A response nobody asked for, or out of order: this connection
            // cannot be trusted for another exchange.
            abort(ChannelError.inappropriateOperationForState)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        switch state {
        case let .awaitingHead(promise):
            promise.fail(ExchangeFailure.closedBeforeAnswer)
        case let .readingBody(promise, result, _):
            promise.succeed(ExchangeResult(status: result.status, retryAfter: result.retryAfter, reusable: false))
        case .idle, .closed:
            break
        }
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        abort(error)
    }

    private func cancelDeadline() {
        deadlineTimer?.cancel()
        deadlineTimer = nil
    }

    private func finish(_ promise: EventLoopPromise<ExchangeResult>, _ result: ExchangeResult, reusable: Bool, context: ChannelHandlerContext) {
        cancelDeadline()
        if reusable {
            state = .idle
        } else {
            state = .closed
            context.close(promise: nil)
        }
        promise.succeed(ExchangeResult(status: result.status, retryAfter: result.retryAfter, reusable: reusable))
    }
}
