import ConduitCore
import ConduitMIME
import Foundation
import Testing

/// CPython's 47 email test messages (Debian libpython3.11-testsuite),
/// fetched and summarised by ../shared/oracles/get-mime-corpus.sh with
/// Python's email package (mime-oracle.py), compared field by field with
/// this parser. Every message Python parses without a defect must agree
/// except for the differences in `CorpusAllowlist` (explained in docs/MIME.md).
@Suite struct CorpusTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = repository.deletingLastPathComponent().appendingPathComponent("shared/oracles/get-mime-corpus.sh")
    static let corpus = URL(fileURLWithPath: ProcessInfo.processInfo.environment["MIME_CORPORA_DIR"] ?? "/tmp/oracles/mime")

    @Test(.timeLimit(.minutes(5))) func agreesWithPythonEmail() async throws {
        try #require(FileManager.default.fileExists(atPath: Self.script.path), "oracle missing: \(Self.script.path)")
        // Waiting for a child blocks a thread: not one of the (2) cooperative ones.
        let (status, output) = try await BlockingWork(width: 1).run { try Self.fetch() }
        try #require(status == 0, "get-mime-corpus.sh failed: \(output)")
        let messages = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.appendingPathComponent("cpython").path)
            .filter { $0.hasPrefix("msg_") }.sorted()
        #expect(messages.count == 47)

        var compared = 0
        var agreeing: [String] = []
        var unexpected: [String] = []
        var allowed: [String] = []
        var withDefects: [String] = []
        for name in messages {
            let bytes = [UInt8](try Data(contentsOf: Self.corpus.appendingPathComponent("cpython/\(name)")))
            let oracleData = try Data(contentsOf: Self.corpus.appendingPathComponent("cpython.json/\(name).json"))
            let oracle = try #require(try JSONSerialization.jsonObject(with: oracleData) as? [String: Any])
            let differences = CorpusComparison.differences(oracle: oracle, ours: MIMEParser.parse(bytes))
            guard (oracle["defects"] as? [String])?.isEmpty ?? false else {
                withDefects.append("\(name): \(differences.isEmpty ? "agrees" : differences.map(\.field).joined(separator: ", "))")
                continue
            }
            compared += 1
            let known = CorpusAllowlist.entries[name] ?? [:]
            if differences.isEmpty { agreeing.append(name) }
            for difference in differences {
                if known[difference.field] != nil {
                    allowed.append("\(name) \(difference.field)")
                } else {
                    unexpected.append("\(name) \(difference.field): \(difference.detail)")
                }
            }
            for field in known.keys where !differences.contains(where: { $0.field == field }) {
                unexpected.append("\(name) \(field): allowlisted but agrees now; remove it from the allowlist")
            }
        }
        print("MIME corpus: \(messages.count) messages, \(compared) without Python defects, \(agreeing.count) agree in every field")
        print("allowlisted differences: \(allowed.joined(separator: "; "))")
        print("messages with Python defects (not judged): \(withDefects.joined(separator: "; "))")
        #expect(unexpected.isEmpty, "\(unexpected.joined(separator: "\n"))")
    }

    private static func fetch() throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", script.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
