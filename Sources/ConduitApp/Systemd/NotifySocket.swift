import Glibc

/// A native sd_notify(3): one AF_UNIX datagram per message to the socket
/// systemd names in `$NOTIFY_SOCKET`, with no libsystemd (one less runtime
/// dependency, and no C state to share across threads). A path starting with
/// `@` is an abstract socket. A socket that is missing, or gone because the
/// manager went away, makes `send` return false: notification is best effort
/// and must never take the daemon down.
public struct NotifySocket: Sendable, Equatable {
    /// The address as systemd gave it: `/run/systemd/notify` or `@name`.
    public let path: String

    /// `nil` when the string is empty or not an AF_UNIX address (systemd ≥ 254
    /// may also pass `vsock:` addresses, which a service on a host never gets).
    public init?(path: String) {
        guard path.count > 1, path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        // sun_path holds 108 bytes, including the NUL or the abstract marker.
        guard path.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return nil }
        self.path = path
    }

    /// The socket of `$NOTIFY_SOCKET`, or `nil` when not run by systemd with
    /// `Type=notify` (or `NotifyAccess=` allows none).
    public static func fromEnvironment() -> NotifySocket? {
        guard let value = getenv("NOTIFY_SOCKET") else { return nil }
        return NotifySocket(path: String(cString: value))
    }

    /// Sends `message` (newline-separated `KEY=VALUE` assignments) as one
    /// datagram. Returns whether the kernel accepted it.
    @discardableResult
    public func send(_ message: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        withUnsafeMutableBytes(of: &address.sun_path) { sunPath in
            sunPath.copyBytes(from: bytes)
            // An abstract name starts with a NUL byte instead of the '@'.
            if abstract { sunPath[0] = 0 }
        }
        // For an abstract name the length counts exactly its bytes (a trailing
        // NUL would be part of the name); for a path it includes the NUL.
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(pathOffset + bytes.count + (abstract ? 0 : 1))
        let payload = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                payload.withUnsafeBytes { buffer in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        return sent == payload.count
    }
}
