import Foundation
import Glibc
import Testing
@testable import ConduitApp

/// The README's configuration reference and the sample config cannot drift
/// from `ConduitConfig`: same keys, same defaults, and the reload column says
/// exactly what `ReloadPlan.liveKeys` applies.
@Suite struct ConfigReferenceTests {
    struct Row {
        let key: String
        let defaultValue: String
        let reload: String
    }

    static let repo: String = {
        var parts = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/ConduitAppTests/ConfigReferenceTests.swift
        return parts.joined(separator: "/")
    }()

    static func read(_ relative: String) throws -> String {
        try ConfigLoader.readFile(repo + "/" + relative)
    }

    /// Rows between the `config-reference` markers: `| `key` | default | reload | meaning |`.
    static func readmeRows() throws -> [Row] {
        let text = try read("README.md")
        guard let begin = text.range(of: "<!-- config-reference:begin -->"),
              let end = text.range(of: "<!-- config-reference:end -->") else { return [] }
        return text[begin.upperBound..<end.lowerBound].split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[0].hasPrefix("`") else { return nil }
            return Row(key: String(cells[0].dropFirst().dropLast()), defaultValue: cells[1], reload: cells[2])
        }
    }

    @Test func readmeListsExactlyTheConfigKeys() throws {
        let rows = try Self.readmeRows()
        #expect(rows.map(\.key) == ConfigKeys.all())
    }

    @Test func readmeDefaultsAreTheCodesDefaults() throws {
        let defaults = Dictionary(uniqueKeysWithValues: ConfigKeys.values(of: ConduitConfig()).map { ($0.key, $0.value) })
        for row in try Self.readmeRows() where row.defaultValue.hasPrefix("`") {
            // `"text"` → text, `[]` → [], `4096` → 4096
            var value = String(row.defaultValue.dropFirst().dropLast())
            if value.hasPrefix("\"") { value = String(value.dropFirst().dropLast()) }
            #expect(value == defaults[row.key], "\(row.key)")
        }
    }

    @Test func readmeReloadColumnIsWhatReloadApplies() throws {
        for row in try Self.readmeRows() {
            #expect(row.reload == (ReloadPlan.liveKeys.contains(row.key) ? "live" : "restart"), "\(row.key)")
        }
    }

    /// The sample is what the package installs as /etc/conduit/conduit.toml.
    @Test func sampleConfigIsValidForProductionAndComplete() throws {
        let text = try Self.read("etc/conduit.toml")
        let config = try ConfigLoader.parse(text, path: "etc/conduit.toml")
        #expect(config.storage.path == "/var/lib/conduit")
        #expect(config.smtp.listen == HostPort(host: "0.0.0.0", port: 25))
        #expect(config.api.listen == HostPort(host: "127.0.0.1", port: 8080))
        #expect(config.delivery.allowPrivateTargets == false)
        var section = ""
        var keys: [String] = []
        for line in text.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("[") {
                section = String(line.dropFirst().prefix { $0 != "]" })
            } else if !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") {
                keys.append(section + "." + line[..<eq].trimmingCharacters(in: .whitespaces))
            }
        }
        #expect(keys == ConfigKeys.all())
    }
}
