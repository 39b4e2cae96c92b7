import ConduitFuzzTargets
import Foundation
import Testing

/// The regression form of `make fuzz` (docs/RELIABILITY.md, "Fuzzing"):
/// every committed corpus input (`Fuzz/corpus/<target>/`) through its
/// target's entry function, as the fuzzer ran it. A broken promise stops
/// the test process, as it stopped the fuzzer.
@Suite struct FuzzCorpusReplayTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz/corpus")

    static func inputs(of target: FuzzTarget) throws -> [URL] {
        let directory = corpus.appendingPathComponent(target.rawValue)
        return try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    @Test(arguments: FuzzTarget.allCases)
    func replaysCommittedCorpus(_ target: FuzzTarget) async throws {
        let inputs = try Self.inputs(of: target)
        #expect(!inputs.isEmpty, "no corpus for \(target.rawValue)")
        for input in inputs {
            await target.run(Array(try Data(contentsOf: input)))
        }
    }

    @Test func everyTargetHasADictionaryOrNeedsNone() throws {
        // Dictionaries are optional; one that exists must be readable by
        // libFuzzer: `name="value"` or `"value"` lines, comments, blank lines.
        let directory = Self.corpus.deletingLastPathComponent().appendingPathComponent("dict")
        for target in FuzzTarget.allCases {
            let file = directory.appendingPathComponent("\(target.rawValue).dict")
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.allSatisfy(\.isWhitespace) {
                #expect(line.hasSuffix("\""), "\(target.rawValue).dict: \(line)")
            }
        }
    }
}
