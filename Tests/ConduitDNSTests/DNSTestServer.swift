import Foundation

/// `shared/oracles/dns-serve.py` (dnslib) serving a YAML zone on a loopback
/// port, for the integration tests. The server dies with the test process:
/// a watcher kills it when our end of its stdin closes, which also happens
/// if the tests crash.
final class DNSTestServer {
    let port: Int
    let directory: URL
    private let process: Process
    private let stdin: Pipe

    /// `…/Tests/ConduitDNSTests/DNSTestServer.swift` → repository root → `../shared/oracles`.
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/oracles/dns-serve.py").standardizedFileURL.path

    /// Runs its arguments as a child and SIGKILLs it when stdin reaches EOF
    /// (SIGKILL because the test process spawns with SIGTERM blocked, a mask
    /// children inherit); exits with the child.
    private static let watcher = """
        import os, signal, subprocess, sys, threading
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.set_blocking(0, True)
        child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
        def watch():
            try:
                while os.read(0, 4096):
                    pass
            finally:
                child.kill()
        threading.Thread(target=watch, daemon=True).start()
        sys.exit(child.wait())
        """

    /// Starts a server for `zone` (YAML) with extra `arguments`, retrying on
    /// another port when the one picked is taken.
    static func start(zone: String, arguments: [String] = []) async throws -> DNSTestServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-dns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let zonePath = directory.appendingPathComponent("zone.yml").path
        try zone.write(toFile: zonePath, atomically: true, encoding: .utf8)
        for _ in 0..<8 {
            let port = Int.random(in: 20_000...60_000)
            if let server = try await launch(zonePath: zonePath, port: port, arguments: arguments, directory: directory) {
                return server
            }
        }
        throw TestServerError("dns-serve.py did not start; see \(directory.path)/server.log")
    }

    private init(port: Int, directory: URL, process: Process, stdin: Pipe) {
        self.port = port
        self.directory = directory
        self.process = process
        self.stdin = stdin
    }

    private static func launch(zonePath: String, port: Int, arguments: [String], directory: URL) async throws -> DNSTestServer? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", watcher, "python3", script, zonePath, "-p", String(port), "-v"] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let logPath = directory.appendingPathComponent("server.log").path
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try process.run()
        let ready = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            // Blocking reads, on a thread of their own.
            Thread.detachNewThread {
                var seen = Data()
                while true {
                    let chunk = stdout.fileHandleForReading.availableData
                    if chunk.isEmpty { return continuation.resume(returning: false) }
                    seen.append(chunk)
                    if String(decoding: seen, as: UTF8.self).contains("READY") { return continuation.resume(returning: true) }
                }
            }
        }
        let server = DNSTestServer(port: port, directory: directory, process: process, stdin: stdin)
        guard ready else {
            server.stop(removeFiles: false)
            return nil
        }
        return server
    }

    /// What the server logged (`-v`: one line per query, with `udp` or `tcp`).
    var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    /// Stops the server and waits for it to exit.
    func stop(removeFiles: Bool = true) {
        try? stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        if removeFiles { try? FileManager.default.removeItem(at: directory) }
    }
}

/// Runs `body` with a fresh server, stopped afterwards whatever happens.
func withDNSServer<T>(zone: String, arguments: [String] = [], _ body: (DNSTestServer) async throws -> T) async throws -> T {
    let server = try await DNSTestServer.start(zone: zone, arguments: arguments)
    defer { server.stop() }
    return try await body(server)
}

struct TestServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
