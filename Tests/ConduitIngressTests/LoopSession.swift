import ConduitSMTP
import NIOCore
import NIOPosix
@testable import ConduitIngress

/// A backend session driven as the SMTP server drives it: every call made
/// on its event loop, each answer awaited whether it came at once or later.
struct LoopSession: Sendable {
    let session: any SMTPBackendSession
    let loop: any EventLoop

    init(_ backend: IngressBackend, ip: String = "192.0.2.9") {
        loop = MultiThreadedEventLoopGroup.singleton.next()
        session = backend.makeSession(for: SMTPConnectionInfo(remoteIP: ip, remotePort: 1), on: loop)
    }

    /// `body`'s answer, made on the loop.
    func call(_ body: @escaping @Sendable (any SMTPBackendSession) -> SMTPBackendAnswer) async -> SMTPReply {
        let (session, loop) = (session, loop)
        // The futures here cannot fail: a pending answer's failure is a test bug.
        return try! await loop.flatSubmit {
            switch body(session) {
            case let .reply(reply): loop.makeSucceededFuture(reply)
            case let .pending(future): future.hop(to: loop)
            }
        }.get()
    }

    /// Whether `body` answered during the call (`.reply`), and the reply.
    func answeredAtOnce(_ body: @escaping @Sendable (any SMTPBackendSession) -> SMTPBackendAnswer) async -> (atOnce: Bool, reply: SMTPReply) {
        let (session, loop) = (session, loop)
        return try! await loop.flatSubmit {
            switch body(session) {
            case let .reply(reply): loop.makeSucceededFuture((true, reply))
            case let .pending(future): future.hop(to: loop).map { (false, $0) }
            }
        }.get()
    }

    func authenticate(username: String, password: String) async -> SMTPReply {
        await call { $0.authenticate(username: username, password: password) }
    }

    func mail(from sender: SMTPMailbox?, parameters: SMTPMailParameters, context: SMTPTransactionContext) async -> SMTPReply {
        await call { $0.mail(from: sender, parameters: parameters, context: context) }
    }

    func rcpt(to recipient: SMTPMailbox) async -> SMTPReply {
        await call { $0.rcpt(to: recipient) }
    }

    func data(_ message: SMTPMessage) async -> SMTPReply {
        await call { $0.data(message) }
    }

    func tlsStarted() async {
        let session = session
        try! await loop.submit { session.tlsStarted() }.get()
    }
}
