import ConduitCore
import Logging
import NIOCore
import NIOPosix

/// One proxy connection: reads the CONNECT head, checks the credential,
/// resolves and admits the target, connects to a checked address, answers
/// `200`, and then steps aside for a pair of `GlueHandler`s.
///
/// States: reading the head → resolving/connecting (input paused) →
/// tunnelling (handler removed) or answered with an error and closed.
final class ConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Settings: Sendable {
        var policy: EgressPolicy
        var resolver: TargetResolver
        var connectTimeout: Duration
        var expectedAuthorization: String
        var failures: EgressFailureLog
        var logger: Logger
    }

    private enum State {
        case readingHead(ByteBuffer)
        case connecting(leftover: ByteBuffer)
        case done
    }

    private let settings: Settings
    private var state = State.readingHead(ByteBuffer())
    private var headDeadline: Scheduled<Void>?

    init(settings: Settings) {
        self.settings = settings
    }

    /// How long a client may take to send its CONNECT head.
    static let headTimeout: TimeAmount = .seconds(10)

    func channelActive(context: ChannelHandlerContext) {
        context.read()
        let channel = context.channel
        let deadline = context.eventLoop.scheduleTask(in: Self.headTimeout) { channel.close(promise: nil) }
        // Cancelled as soon as the head is in (or the channel goes away).
        headDeadline = deadline
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        headDeadline?.cancel()
        state = .done  // a connect still under way closes its new channel
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        switch state {
        case var .readingHead(buffer):
            buffer.writeBuffer(&chunk)
            switch ConnectRequest.parse(buffer.readableBytesView) {
            case .incomplete:
                state = .readingHead(buffer)
                context.read()
            case let .invalid(reason):
                answer(400, "Bad Request", reason: reason, context: context)
            case let .complete(request, headLength):
                headDeadline?.cancel()
                buffer.moveReaderIndex(forwardBy: headLength)
                state = .connecting(leftover: buffer)
                start(request, context: context)
            }
        case var .connecting(leftover):
            // The client does not send before the 200; keep anything it does.
            leftover.writeBuffer(&chunk)
            state = .connecting(leftover: leftover)
        case .done:
            break
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        state = .done
        context.close(promise: nil)
    }

    private func start(_ request: ConnectRequest, context: ChannelHandlerContext) {
        let presented = Array((request.proxyAuthorization ?? "").utf8)
        guard ConstantTime.equals(presented, Array(settings.expectedAuthorization.utf8)) else {
            answer(407, "Proxy Authentication Required", reason: "bad proxy credential", context: context)
            return
        }
        let settings = settings
        let loop = context.eventLoop
        let boundSelf = NIOLoopBound(self, eventLoop: loop)
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        let admitted = loop.makePromise(of: [IPAddress].self)
        admitted.completeWithTask {
            try await settings.resolver.resolve(request.host).flatMap(settings.policy.admit).get()
        }
        admitted.futureResult
            .flatMap { addresses in
                Self.connect(to: addresses, port: request.port, timeout: settings.connectTimeout, on: loop)
            }
            .whenComplete { result in
                boundSelf.value.finish(request, result, context: boundContext.value)
            }
    }

    private func finish(_ request: ConnectRequest, _ result: Result<any Channel, any Error>, context: ChannelHandlerContext) {
        guard case let .connecting(leftover) = state else {
            if case let .success(peer) = result { peer.close(promise: nil) }
            return
        }
        switch result {
        case let .success(peer):
            state = .done
            let (local, remote) = GlueHandler.matchedPair()
            do {
                try context.pipeline.syncOperations.addHandler(local)
                try peer.pipeline.syncOperations.addHandler(remote)
            } catch {
                peer.close(promise: nil)
                context.close(promise: nil)
                return
            }
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n")), promise: nil)
            if leftover.readableBytes > 0 { peer.writeAndFlush(leftover, promise: nil) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            // Reads were paused while the head was parsed and the target
            // checked; from here on NIO reads by itself, and each
            // `GlueHandler` holds reads back while its partner cannot write.
            let channel = context.channel
            channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in channel.close(promise: nil) }
            peer.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in peer.close(promise: nil) }
        case let .failure(error):
            let refused = error is EgressRefusal
            let reason = refused ? "\(error)" : "connection to \(request.host):\(request.port) failed: \(Self.describe(error))"
            settings.failures.record(host: request.host, port: request.port, reason: reason)
            settings.logger.info("webhook target not connected", metadata: ["target": "\(request.host):\(request.port)", "reason": "\(reason)"])
            answer(refused ? 403 : 502, refused ? "Forbidden" : "Bad Gateway", reason: reason, context: context)
        }
    }

    private func answer(_ status: Int, _ phrase: String, reason: String, context: ChannelHandlerContext) {
        state = .done
        let body = reason + "\n"
        let head = "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: head + body))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// Connects to the first address that answers, in order, each with the
    /// whole timeout (a webhook host has few addresses).
    private static func connect(
        to addresses: [IPAddress], port: Int, timeout: Duration, on loop: any EventLoop
    ) -> EventLoopFuture<any Channel> {
        guard let address = addresses.first else {
            return loop.makeFailedFuture(EgressRefusal(reason: "no address to connect to"))
        }
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(ipAddress: address.description, port: port)
        } catch {
            return loop.makeFailedFuture(error)
        }
        return ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
            .channelOption(.autoRead, value: false)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: socketAddress)
            .flatMapError { error in
                addresses.count > 1
                    ? connect(to: Array(addresses.dropFirst()), port: port, timeout: timeout, on: loop)
                    : loop.makeFailedFuture(ConnectFailure(address: address, port: port, underlying: error))
            }
    }

    private static func describe(_ error: any Error) -> String {
        if let failure = error as? ConnectFailure { return failure.description }
        return "\(error)"
    }
}

/// The last address a tunnel could not connect to, and why.
struct ConnectFailure: Error, CustomStringConvertible {
    var address: IPAddress
    var port: Int
    var underlying: any Error

    var description: String {
        let why: String = switch underlying {
        case ChannelError.connectTimeout: "timed out"
        case let error as IOError where error.errnoCode == 111: "connection refused"
        default: "\(underlying)"
        }
        return "\(address) port \(port): \(why)"
    }
}
