import NIOCore

/// Answers `421` and closes when `IdleStateHandler` reports the client idle
/// past the command timeout, so a silent client cannot hold a slot forever.
final class IdleTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let reply: SMTPReply

    init(reply: SMTPReply) {
        self.reply = reply
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let buffer = context.channel.allocator.buffer(string: reply.wire)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
