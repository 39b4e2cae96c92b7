import NIOCore
import NIOPosix

/// Sends one query to one server and waits for the reply that answers it,
/// over UDP or TCP, on SwiftNIO: nothing here blocks a thread.
struct DNSTransport: Sendable {
    let group: any EventLoopGroup

    /// Sends `query` from a fresh connected UDP socket (a new random source
    /// port each time; the kernel drops datagrams from other addresses) and
    /// returns the first reply that `matches` accepts. Malformed and
    /// mismatched datagrams are ignored, so a spoofer cannot end the wait.
    func udp(_ query: [UInt8], to server: SocketAddress, timeout: Duration, matches: @escaping @Sendable (DNSMessage) -> Bool) async throws -> DNSMessage {
        try await Self.withTimeout(timeout) {
            // 4096 bytes is well above the 1232 we advertise; a longer datagram
            // arrives cut, fails to decode and is ignored like any bad one.
            let channel = try await DatagramBootstrap(group: group)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
                .connect(to: server) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(AddressedEnvelope(remoteAddress: server, data: ByteBuffer(bytes: query)))
                for try await envelope in inbound where envelope.remoteAddress == server {
                    if let reply = try? DNSMessage.decode(Array(buffer: envelope.data)), matches(reply) { return reply }
                }
                throw DNSTransportError.closed
            }
        }
    }

    /// Sends `query` over TCP with the 2-byte length prefix (RFC 1035
    /// §4.2.2) and returns the first reply that `matches` accepts. A
    /// malformed reply fails the exchange: on TCP nobody else can inject one.
    func tcp(_ query: [UInt8], to server: SocketAddress, timeout: Duration, matches: @escaping @Sendable (DNSMessage) -> Bool) async throws -> DNSMessage {
        guard query.count <= 0xFFFF else { throw DNSTransportError.queryTooLarge }
        return try await Self.withTimeout(timeout) {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(timeout))
                .connect(to: server) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                var framed = ByteBuffer()
                framed.writeInteger(UInt16(query.count))
                framed.writeBytes(query)
                try await outbound.write(framed)
                var received = ByteBuffer()
                for try await var chunk in inbound {
                    received.writeBuffer(&chunk)
                    while let length = received.getInteger(at: received.readerIndex, as: UInt16.self),
                          received.readableBytes >= 2 + Int(length)
                    {
                        received.moveReaderIndex(forwardBy: 2)
                        let bytes = received.readBytes(length: Int(length)) ?? []
                        let reply = try DNSMessage.decode(bytes)
                        if matches(reply) { return reply }
                    }
                    received.discardReadBytes()
                }
                throw DNSTransportError.closed
            }
        }
    }

    /// Runs `body`, cancelling it and throwing `timedOut` after `timeout`.
    private static func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw DNSTransportError.timedOut
            }
            defer { group.cancelAll() }
            guard let result = try await group.next() else { throw DNSTransportError.timedOut }
            return result
        }
    }
}

/// Why an exchange with one server gave no reply.
enum DNSTransportError: Error, CustomStringConvertible {
    case timedOut
    case closed
    case queryTooLarge

    var description: String {
        switch self {
        case .timedOut: "timed out"
        case .closed: "connection closed without a reply"
        case .queryTooLarge: "query too large"
        }
    }
}
