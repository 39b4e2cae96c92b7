import ConduitCore
import NIOCore
import Synchronization

/// The open SMTP connections: counts for the total and per-IP limits, and
/// the channels to notify on graceful shutdown. The per-IP limit counts an
/// IPv6 client by its /64 (`limitKey(for:)`).
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
        let ip = Self.limitKey(for: ip)
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

    /// What the per-IP limit counts a client under: an IPv4 address as it is
    /// (an IPv4-mapped IPv6 address as its IPv4 address), an IPv6 address by
    /// its /64 network (`2001:db8:1:2::/64`). A /64 is what one subscriber or
    /// host gets, and it picks addresses inside it at will (SLAAC privacy
    /// addresses, RFC 8981), so counting per address would give one client
    /// 2^64 connection budgets. Text that is no address (`unknown`) is its
    /// own key.
    static func limitKey(for ip: String) -> String {
        guard let address = IPAddress(ip)?.unmapped else { return ip }
        if address.isIPv4 { return address.description }
        return CIDR("\(address)/64")?.description ?? address.description
    }

    var count: Int { state.withLock { $0.channels.count } }

    var all: [any Channel] { state.withLock { Array($0.channels.values) } }
}
