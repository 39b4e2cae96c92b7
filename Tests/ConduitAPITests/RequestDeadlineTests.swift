import Hummingbird
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing
@testable import ConduitAPI

/// `APIConnectionGuardHandler`'s request deadline: a request whose end has
/// not arrived `requestTimeout` after its head closes the connection, with
/// one timer per connection instead of one per request.
@Suite struct RequestDeadlineTests {
    static let timeout = TimeAmount.seconds(60)

    private func channel() throws -> EmbeddedChannel {
        let handler = APIConnectionGuardHandler(connections: APIConnectionCounter(limit: 10), requestTimeout: Self.timeout)
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func head(_ channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPRequestPart.head(HTTPRequest(method: .post, scheme: nil, authority: nil, path: "/")))
    }

    @Test func anIncompleteRequestIsClosedAtItsDeadline() throws {
        let channel = try channel()
        try head(channel)
        channel.embeddedEventLoop.advanceTime(by: Self.timeout - .seconds(1))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test func completeRequestsKeepTheConnection() throws {
        let channel = try channel()
        for _ in 0..<3 {
            try head(channel)
            channel.embeddedEventLoop.advanceTime(by: .seconds(50))
            try channel.writeInbound(HTTPRequestPart.end(nil))
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(600))
        #expect(channel.isActive)
        _ = try channel.finish(acceptAlreadyClosed: false)
    }

    @Test func aLaterRequestGetsItsOwnFullDeadline() throws {
        let channel = try channel()
        try head(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(40))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        // The next head at 50 s: the check set for the first request (at 60 s)
        // must move on to 110 s, not close this one early.
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        try head(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }
}
