import ConduitCore
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import ConduitDNS

/// A UDP server on [::1] that answers each query with forgeries first: a
/// wrong ID, a wrong question, garbage, and only then the real answer.
private final class ForgingServerHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    static let forged = DNSRecord(name: "target.example", type: 1, ttl: 60, data: .a(IPAddress("203.0.113.66")!))
    static let real = DNSRecord(name: "target.example", type: 1, ttl: 60, data: .a(IPAddress("192.0.2.77")!))

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let query = try? DNSMessage.decode(Array(buffer: envelope.data)) else { return }
        let replies: [[UInt8]] = [
            (try? DNSMessage(id: query.id &+ 1, isResponse: true, questions: query.questions, answers: [Self.forged]).encode()) ?? [],
            (try? DNSMessage(id: query.id, isResponse: true, questions: [DNSQuestion(name: "other.example", type: 1)], answers: [Self.forged]).encode()) ?? [],
            Array(envelope.data.getBytes(at: envelope.data.readerIndex, length: 2) ?? []) + [0x81, 0x80, 0xFF, 0xFF],
            (try? DNSMessage(id: query.id, isResponse: true, questions: query.questions, answers: [Self.real]).encode()) ?? [],
        ]
        for reply in replies {
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply))), promise: nil)
        }
        context.flush()
    }
}

@Suite struct DNSResolverSpoofingTests {
    /// The forging server's own event loop: the shared singleton's loops can
    /// be held for seconds by other suites running in parallel.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    @Test func ignoresForgedRepliesOverIPv6() async throws {
        let channel = try await DatagramBootstrap(group: Self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(ForgingServerHandler()) }
            }
            .bind(host: "::1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        let (logger, _) = CapturingLogHandler.logger()
        // The real answer comes at once; the timeout only ends a broken run, so it
        // is generous enough for a machine busy with the rest of the suite (1 s
        // failed under a parallel `make test` on 2 cores, and so could 10 s).
        let resolver = DNSResolver(nameservers: [.init(host: "::1", port: port)], timeout: .seconds(60), attempts: 1, logger: logger)
        let result = await resolver.lookup("target.example", type: .a)
        try await channel.close()
        #expect(result == .records([ForgingServerHandler.real]))
    }
}
