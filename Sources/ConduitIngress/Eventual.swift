import ConduitSMTP
import NIOCore

/// A value known now, on the event loop, or later through a future: lets a
/// session step stay synchronous until some part of it must wait, and only
/// then pay for a future.
enum Eventual<Value: Sendable>: Sendable {
    case now(Value)
    case later(EventLoopFuture<Value>)

    /// `next` of the value: at once when it is known, else when the future
    /// completes, on the future's event loop.
    func then<Next: Sendable>(_ next: @escaping @Sendable (Value) -> Eventual<Next>) -> Eventual<Next> {
        switch self {
        case let .now(value):
            return next(value)
        case let .later(future):
            let eventLoop = future.eventLoop
            return .later(future.flatMap { value in
                switch next(value) {
                case let .now(result): eventLoop.makeSucceededFuture(result)
                case let .later(result): result
                }
            })
        }
    }
}

extension Eventual where Value == SMTPReply {
    /// The SMTP backend's form of the same answer.
    var answer: SMTPBackendAnswer {
        switch self {
        case let .now(reply): .reply(reply)
        case let .later(future): .pending(future)
        }
    }
}
