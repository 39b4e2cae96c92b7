import ConduitCore
import Foundation
import Testing

/// `conduit dkim` against dkimpy, end to end: scripts/dkim-oracles.py runs
/// ../shared/oracles/dkim-sign.py (the 96-case matrix) and
/// get-dkim-vectors.sh (6 signatures), serves their keys with dns-serve.py
/// and compares the built binary's verdicts with dkimpy's. Missing scripts
/// or binary fail the test: a conformance check that did not run is not a pass.
@Suite struct DKIMOracleTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared = repository.deletingLastPathComponent().appendingPathComponent("shared")
    static let binary = ProcessInfo.processInfo.environment["CONDUIT_BIN"]
        ?? repository.appendingPathComponent(".build/debug/conduit").path

    @Test func conduitAgreesWithDkimpy() async throws {
        let driver = Self.repository.appendingPathComponent("scripts/dkim-oracles.py").path
        for path in [driver, Self.binary] + ["dkim-sign.py", "get-dkim-vectors.sh", "dns-serve.py"].map({
            Self.shared.appendingPathComponent("oracles/\($0)").path
        }) {
            try #require(FileManager.default.fileExists(atPath: path), "missing \(path)")
        }
        let (binary, shared) = (Self.binary, Self.shared.path)
        let result = try await BlockingWork(width: 1).run { try ChildProcess.run("python3", [driver, "all", "--bin", binary, "--shared", shared]) }
        let text = String(decoding: result.stdout + result.stderr, as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        // The oracles' own checks (dkimpy against their stated verdicts), then Conduit against dkimpy.
        for expected in [
            "oracle-matrix: 96 passed, 0 failed", "conduit-matrix: 96 passed, 0 failed",
            "oracle-vectors: 6 passed, 0 failed", "conduit-vectors: 6 passed, 0 failed",
        ] {
            #expect(lines.contains(expected), "no '\(expected)' in:\n\(text.suffix(4000))")
        }
        #expect(lines.last == "102 passed, 0 failed", "\(text.suffix(4000))")
        #expect(result.status == 0)
    }
}
