import ConduitCore
import Glibc

extension DNSResolver {
    /// The nameservers of `resolv.conf(5)`: its `nameserver` lines, port 53,
    /// at most three (as the C library reads them); `127.0.0.1:53` when none.
    /// Entries that are not IP literals, and link-local IPv6 ones with a zone
    /// (`fe80::1%eth0`), are skipped. Reads the file synchronously: call it
    /// at startup, not on an event loop.
    public static func systemNameservers(resolvConf path: String = "/etc/resolv.conf") -> [Nameserver] {
        let text = readSmallFile(path) ?? ""
        var servers: [Nameserver] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let content = line.prefix { $0 != "#" && $0 != ";" }
            let fields = content.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0] == "nameserver", servers.count < 3 else { continue }
            let host = String(fields[1])
            guard IPAddress(host) != nil else { continue }
            servers.append(Nameserver(host: host, port: 53))
        }
        return servers.isEmpty ? [Nameserver(host: "127.0.0.1", port: 53)] : servers
    }

    /// The file's text, at most 64 KiB; `nil` when it cannot be read.
    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65_536 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
