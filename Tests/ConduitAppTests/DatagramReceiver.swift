import CDispatch  // Glibc's sockaddr members resolve here under MemberImportVisibility
import Glibc

/// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
/// A datagram is queued on the receiver before `sendto` returns, so `next()`
/// reads without waiting: no timing in the tests.
final class DatagramReceiver {
    let fd: Int32
    /// The address as `$NOTIFY_SOCKET` would carry it.
    let address: String
    private let filePath: String?

    /// Binds a socket file in /tmp, or an abstract name (`@…`) when `abstract`.
    init(abstract: Bool) {
        let unique = "conduit-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(fd >= 0)
        self.fd = fd
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let name = abstract ? "@" + unique : "/tmp/" + unique
        let bytes = Array(name.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { path in
            path.copyBytes(from: bytes)
            if abstract { path[0] = 0 }
        }
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = socklen_t(offset + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        precondition(rc == 0, "bind \(name): \(String(cString: strerror(errno)))")
        address = name
        filePath = abstract ? nil : name
    }

    /// The next queued datagram, or nil when none is queued.
    func next() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }

    private var closed = false

    /// Closes the socket (and removes its file): the "vanished manager" case.
    /// Once only: tests run in parallel, and a second close could hit a
    /// descriptor number another test has been given since.
    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
        if let filePath { unlink(filePath) }
    }

    deinit { close() }
}
