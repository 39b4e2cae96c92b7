import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection to a webhook origin, connected to an address the
/// SSRF guard admitted (`WebhookConnector`). Leased by one POST at a time
/// (`WebhookConnectionPool`); `exchange` writes a request and waits for
/// the end of its response.
final class WebhookConnection: Sendable {
    let origin: WebhookTarget.Origin
    let channel: any Channel
    private let handler: NIOLoopBound<HTTPExchangeHandler>

    init(origin: WebhookTarget.Origin, channel: any Channel, handler: NIOLoopBound<HTTPExchangeHandler>) {
        self.origin = origin
        self.channel = channel
        self.handler = handler
    }

    var isActive: Bool { channel.isActive }

    func close() {
        channel.close(promise: nil)
    }

    /// What came back, and whether the whole request was written (a
    /// connection whose peer answered before taking the whole body is not
    /// reused).
    struct Outcome: Sendable {
        var result: ExchangeResult
        var sentAll: Bool
    }

    /// Writes `head` and `body`, then waits for the response's end. Before
    /// `deadline` or the exchange fails with `ExchangeFailure.timedOut` (a
    /// response head that came in time is still returned).
    func exchange(head: HTTPRequestHead, body: WebhookRequest.Body, deadline: NIODeadline) async throws -> Outcome {
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: ExchangeResult.self)
        let handler = handler
        loop.execute { handler.value.begin(promise, deadline: deadline) }
        var sentAll = false
        var writeError: (any Error)?
        do {
            // Channel writes from outside the loop are queued after `begin`, in order.
            switch body {
            case let .bytes(bytes):
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
                try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
            case let .stream(stream, _):
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                // Each chunk is written before the next is read from the
                // spool: the socket's pace is the stream's pace.
                for try await chunk in PayloadChunks(stream: stream) {
                    try await channel.writeAndFlush(HTTPClientRequestPart.body(.byteBuffer(chunk)))
                }
                try await channel.writeAndFlush(HTTPClientRequestPart.end(nil))
            }
            sentAll = true
        } catch {
            // Counts only when the response has not already ended the exchange.
            writeError = error
            loop.execute { handler.value.abort(error) }
        }
        do {
            let result = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                loop.execute { handler.value.abort(CancellationError()) }
            }
            return Outcome(result: result, sentAll: sentAll)
        } catch ExchangeFailure.closedBeforeAnswer {
            // A TLS handshake that failed closes the connection and fails
            // the pending writes with the reason: that reason is the answer.
            if let writeError, !(writeError is ChannelError) { throw writeError }
            throw ExchangeFailure.closedBeforeAnswer
        }
    }
}
