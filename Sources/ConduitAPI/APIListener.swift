public import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The HTTP/1.1 server of the API with the limits that keep a slow or
/// hostile client from holding the listener (docs/API.md, "Limits"):
/// - a connection silent for `idleTimeout` between requests, or whose
///   request head is still incomplete after it, is closed (Hummingbird's own
///   idle timer, which only restarts on each complete request part);
/// - a request whose body is still incomplete `idleTimeout` after its head
///   arrived is closed too (`APIConnectionGuardHandler`), so a body sent a
///   byte at a time cannot hold a connection either;
/// - at most `maxConnections` connections are open at once; one more is
///   closed as soon as it is accepted, so the process's file descriptors stay
///   within the budget checked at start-up (SMTP keeps its own).
public enum APIListener {
    public static func http1(idleTimeout: Duration, maxConnections: Int) -> HTTPServerBuilder {
        let connections = APIConnectionCounter(limit: maxConnections)
        let timeout = TimeAmount(idleTimeout)
        return .http1(configuration: .init(
            additionalChannelHandlers: [APIConnectionGuardHandler(connections: connections, requestTimeout: timeout)],
            idleTimeout: timeout
        ))
    }
}

/// The open API connections, shared by every connection's guard handler.
final class APIConnectionCounter: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts a new connection; false (and nothing counted) when full.
    func admit() -> Bool {
        while true {
            let current = open.load(ordering: .relaxed)
            guard current < limit else { return false }
            if open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged { return true }
        }
    }

    func release() {
        open.subtract(1, ordering: .relaxed)
    }

    var count: Int { open.load(ordering: .relaxed) }
}

/// One per connection, after the HTTP decoder: admits the connection against
/// the shared cap and closes it when a request stays incomplete too long.
final class APIConnectionGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let connections: APIConnectionCounter
    private let requestTimeout: TimeAmount
    private var admitted = false
    private var checked = false
    /// When the head of the request still being received arrived; `nil` between requests.
    private var requestStarted: NIODeadline?
    /// At most one timer per connection, not one per request: scheduling and
    /// cancelling a task for every request cost more than the check. When it
    /// fires it closes an overdue request, or waits for the current one's
    /// deadline, or (between requests) ends until the next head.
    private var deadlineCheck: Scheduled<Void>?

    init(connections: APIConnectionCounter, requestTimeout: TimeAmount) {
        self.connections = connections
        self.requestTimeout = requestTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        // A refused connection is already closed: nothing after us sees it start.
        if admit(context) { context.fireChannelActive() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            // The loop's clock (virtual on an EmbeddedEventLoop), like its timers.
            let now = context.eventLoop.now
            requestStarted = now
            if deadlineCheck == nil { scheduleCheck(at: now + requestTimeout, context: context) }
        case .body:
            break
        case .end:
            requestStarted = nil
        }
        context.fireChannelRead(data)
    }

    private func scheduleCheck(at deadline: NIODeadline, context: ChannelHandlerContext) {
        let channel = context.channel
        deadlineCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            deadlineCheck = nil
            guard let started = requestStarted else { return }
            let due = started + requestTimeout
            if due <= channel.eventLoop.now {
                // The request did not arrive in time: it can never be answered.
                channel.close(promise: nil)
            } else {
                scheduleCheck(at: due, context: context)
            }
        }
    }

    /// Counts the connection once; false when it was over the cap and closed.
    @discardableResult
    private func admit(_ context: ChannelHandlerContext) -> Bool {
        guard !checked else { return admitted }
        checked = true
        admitted = connections.admit()
        if !admitted {
            // Over the cap: close at once, before a byte is read, so the
            // descriptor is back within the budget.
            context.close(promise: nil)
        }
        return admitted
    }

    private func release() {
        deadlineCheck?.cancel()
        deadlineCheck = nil
        requestStarted = nil
        if admitted {
            admitted = false
            connections.release()
        }
    }
}
