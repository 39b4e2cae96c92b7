import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing
@testable import ConduitDelivery

/// The response reader's deadline, on an embedded channel whose clock the
/// test moves: it ends only the exchange it was set for.
@Suite struct HTTPExchangeHandlerTests {
    static func channel() throws -> (EmbeddedChannel, HTTPExchangeHandler) {
        let handler = HTTPExchangeHandler(maxDrainBytes: 1024)
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, handler)
    }

    static func answer(_ channel: EmbeddedChannel, status: HTTPResponseStatus = .noContent) throws {
        try channel.writeInbound(HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: status)))
        try channel.writeInbound(HTTPClientResponsePart.end(nil))
    }

    @Test func aDeadlineAfterItsExchangeEndedLeavesTheConnectionAlone() throws {
        let (channel, handler) = try Self.channel()
        let loop = channel.embeddedEventLoop
        let first = loop.makePromise(of: ExchangeResult.self)
        handler.begin(first, deadline: .uptimeNanoseconds(loop.now.uptimeNanoseconds + 1_000_000_000))
        try Self.answer(channel)
        #expect(try first.futureResult.wait() == ExchangeResult(status: 204, retryAfter: nil, reusable: true))
        // The next exchange runs on the same connection; the first one's
        // deadline passes during it and must not end it.
        let second = loop.makePromise(of: ExchangeResult.self)
        handler.begin(second, deadline: .uptimeNanoseconds(loop.now.uptimeNanoseconds + 5_000_000_000))
        loop.advanceTime(by: .seconds(2))
        #expect(channel.isActive)
        try Self.answer(channel, status: .ok)
        #expect(try second.futureResult.wait().status == 200)
        loop.advanceTime(by: .seconds(10))
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test func aDeadlineEndsItsOwnExchangeAndClosesTheConnection() throws {
        let (channel, handler) = try Self.channel()
        let loop = channel.embeddedEventLoop
        let waiting = loop.makePromise(of: ExchangeResult.self)
        handler.begin(waiting, deadline: .uptimeNanoseconds(loop.now.uptimeNanoseconds + 1_000_000_000))
        loop.advanceTime(by: .milliseconds(999))
        #expect(channel.isActive)
        loop.advanceTime(by: .milliseconds(1))
        #expect(throws: ExchangeFailure.timedOut) { try waiting.futureResult.wait() }
        #expect(!channel.isActive)
    }

    @Test func aHeadBeforeTheDeadlineIsStillTheAnswer() throws {
        let (channel, handler) = try Self.channel()
        let loop = channel.embeddedEventLoop
        let slowBody = loop.makePromise(of: ExchangeResult.self)
        handler.begin(slowBody, deadline: .uptimeNanoseconds(loop.now.uptimeNanoseconds + 1_000_000_000))
        try channel.writeInbound(HTTPClientResponsePart.head(HTTPResponseHead(version: .http1_1, status: .accepted)))
        loop.advanceTime(by: .seconds(1))
        #expect(try slowBody.futureResult.wait() == ExchangeResult(status: 202, retryAfter: nil, reusable: false))
        #expect(!channel.isActive)
    }
}
