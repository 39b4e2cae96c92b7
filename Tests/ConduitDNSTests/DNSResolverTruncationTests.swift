import Logging
import NIOCore
import NIOPosix
import Testing
@testable import ConduitDNS

/// Answers every UDP query with TC=1 and empty sections ("ask over TCP").
private final class TruncatingUDPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let query = try? DNSMessage.decode(Array(buffer: envelope.data)),
              let reply = try? DNSMessage(id: query.id, isResponse: true, isTruncated: true, questions: query.questions).encode()
        else { return }
        context.writeAndFlush(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply))), promise: nil)
    }
}

/// Answers every TCP query with TC=1 again, NOERROR and no records: a
/// broken server, whose reply must not read as "the name has no such data".
private final class TruncatingTCPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var received = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        received.writeBuffer(&chunk)
        guard let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
              received.readableBytes >= 2 + Int(length),
              let bytes = received.getBytes(at: received.readerIndex + 2, length: Int(length)),
              let query = try? DNSMessage.decode(bytes),
              let reply = try? DNSMessage(id: query.id, isResponse: true, isTruncated: true, questions: query.questions).encode()
        else { return }
        received.clear()
        var framed = context.channel.allocator.buffer(capacity: reply.count + 2)
        framed.writeInteger(UInt16(reply.count))
        framed.writeBytes(reply)
        context.writeAndFlush(wrapOutboundOut(framed), promise: nil)
    }
}

@Suite struct DNSResolverTruncationTests {
    @Test func aTruncatedReplyOverTCPIsATemporaryFailureNotNoData() async throws {
        let group = MultiThreadedEventLoopGroup.singleton
        let tcp = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TruncatingTCPHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(tcp.localAddress?.port)
        let udp = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(TruncatingUDPHandler()) }
            }
            .bind(host: "127.0.0.1", port: port).get()
        let (logger, _) = CapturingLogHandler.logger()
        // Both servers answer at once; the timeout only ends a broken run.
        let resolver = DNSResolver(nameservers: [.init(host: "127.0.0.1", port: port)], timeout: .seconds(10), attempts: 1, logger: logger)
        let result = await resolver.lookup("spf.example", type: .txt)
        try await udp.close()
        try await tcp.close()
        guard case let .temporaryFailure(reason) = result else {
            Issue.record("a TC=1 reply over TCP was taken as \(result)")
            return
        }
        #expect(reason.contains("truncated reply over TCP"), "\(reason)")
    }
}
