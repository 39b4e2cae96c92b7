import ConduitApp
import ConduitCore
import ConduitStore
import Foundation
import Testing

/// `conduit spool list` / `show` against a store written with the app schema,
/// while that store stays open read-write here (as `serve` would hold it).
@Suite struct SpoolCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = ProcessInfo.processInfo.environment["CONDUIT_BIN"]
        ?? repository.appendingPathComponent(".build/debug/conduit").path

    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-spool-cli-\(UUID().uuidString)").path

    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: String
    }

    func conduit(_ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self))
    }

    func entry(mailFrom: String, body: String, receivedAt: Date) -> SpoolEntry {
        let id = Identifier.generate().rawValue
        let recipient = SpooledRecipient(rcptTo: "inbox@example.com", webhookID: "wh1", accountID: "acc1", tag: nil)
        let message = SpooledMessage(
            id: id, receivedAt: receivedAt, mailFrom: mailFrom, remoteIP: "192.0.2.1", helo: "mx.example.org", tls: false,
            authUser: nil, spf: nil, dkim: [], size: 0, recipients: [recipient]
        )
        let delivery = Delivery(
            id: Identifier.generate().rawValue, messageID: id, webhookID: "wh1", accountID: "acc1",
            rcptTo: recipient.rcptTo, tag: nil, nextAttemptAt: receivedAt, createdAt: receivedAt
        )
        return SpoolEntry(message: message, body: Array(body.utf8), deliveries: [delivery])
    }

    @Test func listsAndShowsSpooledMessagesBesideAnOpenStore() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "conduit binary missing: \(Self.binary) (build it, or set CONDUIT_BIN)")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let storePath = directory + "/data"
        let store = try Store(path: storePath, mapSizeBytes: 16 << 20, schema: AppSchema.current)
        let writer = SpoolWriter(store: store)
        let first = entry(mailFrom: "", body: "Subject: bounce\r\n\r\nfirst\r\n", receivedAt: Date(timeIntervalSince1970: 1_764_090_000))
        let second = entry(mailFrom: "alice@example.org", body: "Subject: hi\r\n\r\nsecond\r\n", receivedAt: Date(timeIntervalSince1970: 1_764_090_060.5))
        try await writer.commit(first)
        try await writer.commit(second)
        writer.shutdown()
        let config = directory + "/conduit.toml"
        try "[storage]\npath = \"\(storePath)\"\n".write(toFile: config, atomically: true, encoding: .utf8)

        let list = try conduit(["spool", "list", "--config", config])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(String(decoding: list.stdout, as: UTF8.self) == """
            \(first.message.id)\t2025-11-25T17:00:00Z\t<>\t26\tinbox@example.com\tinbox@example.com=pending
            \(second.message.id)\t2025-11-25T17:01:00Z\talice@example.org\t23\tinbox@example.com\tinbox@example.com=pending

            """)

        let show = try conduit(["spool", "show", "--config", config, second.message.id])
        #expect(show.status == 0)
        #expect(show.stdout == Data("Subject: hi\r\n\r\nsecond\r\n".utf8))

        let missing = try conduit(["spool", "show", "--config", config, Identifier.generate().rawValue])
        #expect(missing.status == 1)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr.contains("no spooled message"))
        store.close()
    }
}
