import ConduitMIME
import Foundation
import Testing

/// Every Golden/NAME.eml parses to exactly Golden/NAME.json.
@Suite struct GoldenTests {
    static var messages: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: GoldenFiles.directory.path)) ?? [])
            .filter { $0.hasSuffix(".eml") }.sorted()
    }

    @Test func goldenFilesExist() {
        #expect(Self.messages.count >= 12)
        #expect(Self.messages.filter { $0.hasPrefix("hostile-") }.count >= 6)
    }

    @Test(arguments: messages)
    func golden(_ name: String) throws {
        let bytes = [UInt8](try Data(contentsOf: GoldenFiles.directory.appendingPathComponent(name)))
        try GoldenFiles.check(GoldenFiles.payload(bytes), against: String(name.dropLast(4)) + ".json")
    }
}
