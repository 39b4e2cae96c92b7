import ConduitCore
import Foundation
import Testing

/// Unicode's IdnaTestV2 through libidn2, as ../shared/oracles/get-idna-tests.sh
/// and idna-check.py record it: Conduit's wrapper must give libidn2's exact
/// answer (same A-label, or the same idn2 error) on every line, with the
/// flags Conduit uses (non-transitional, NFC input, no STD3).
@Suite struct IdnaConformanceTests {
    static let oracles = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("shared/oracles")

    struct Results: Decodable {
        let libidn2: String
        let rows: [Row]
    }

    struct Row: Decodable {
        let line: Int
        let source: String
        let libidn2: Outcome
    }

    enum Outcome: Decodable, Equatable {
        case label(String)
        case error(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let label = try? container.decode(String.self) {
                self = .label(label)
            } else {
                self = .error(try container.decode([String: String].self)["error"] ?? "?")
            }
        }
    }

    @Test func wrapperAgreesWithLibidn2OnEveryIdnaTestV2Line() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-idna-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Fetch the test file (Debian package librust-idna-dev), then record libidn2's answers with our flags.
        // Waiting for a child blocks a thread: not one of the few cooperative ones.
        let (oracles, path) = (Self.oracles, directory.path)
        let json = directory.appendingPathComponent("ours.json")
        try await BlockingWork(width: 1).run {
            try Self.run("/bin/bash", [oracles.appendingPathComponent("get-idna-tests.sh").path], environment: ["IDNA_TESTS_DIR": path])
            try Self.run("/usr/bin/env", ["python3", oracles.appendingPathComponent("idna-check.py").path,
                                          path + "/IdnaTestV2.txt", "--flags", "nfc,nontransitional", "--json", json.path])
        }
        let results = try JSONDecoder().decode(Results.self, from: Data(contentsOf: json))
        #expect(results.rows.count > 6000)
        var disagreements: [String] = []
        for row in results.rows {
            let ours: Outcome
            do {
                ours = .label(try DomainName.idnaToASCII(row.source))
            } catch {
                ours = .error(error.idn2Name ?? "unnamed")
            }
            if ours != row.libidn2 { disagreements.append("line \(row.line): \(row.libidn2) vs \(ours)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(5))")
    }

    private static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(executable) \(arguments): \(String(decoding: stderr, as: UTF8.self))")
    }
}
