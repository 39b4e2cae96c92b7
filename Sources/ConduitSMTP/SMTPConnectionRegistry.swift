import NIOCore
import Synchronization

/// The open SMTP connections: counts for the total and per-IP limits, and
/// the channels to notify on graceful shutdown.
final class SMTPConnectionRegistry: Sendable {
    enum Admission: Equatable { case admitted, tooManyTotal, tooManyFromIP }

    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var perIP: [String: Int] = [:]
    }

    private let state = Mutex(State())
    private let maxTotal: Int
    private let maxPerIP: Int

    init(maxTotal: Int, maxPerIP: Int) {
        self.maxTotal = maxTotal
        self.maxPerIP = maxPerIP
    }

    /// Registers `channel` (always: a refused connection still occupies a
    /// socket until its `421` is sent) and says whether it may be served.
    func register(_ channel: any Channel, ip: String) -> Admission {
        let admission = state.withLock { state -> Admission in
            state.channels[ObjectIdentifier(channel)] = channel
            let fromIP = state.perIP[ip, default: 0] + 1
            state.perIP[ip] = fromIP
            if state.channels.count > maxTotal { return .tooManyTotal }
            if fromIP > maxPerIP { return .tooManyFromIP }
            return .admitted
        }
        channel.closeFuture.whenComplete { _ in self.unregister(channel, ip: ip) }
        return admission
    }

    private func unregister(_ channel: any Channel, ip: String) {
        state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = nil
            let left = state.perIP[ip, default: 1] - 1
            state.perIP[ip] = left > 0 ? left : nil
        }
    }

    var count: Int { state.withLock { $0.channels.count } }

    var all: [any Channel] { state.withLock { Array($0.channels.values) } }
}
