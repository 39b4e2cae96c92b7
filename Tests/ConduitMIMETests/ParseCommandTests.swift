import ConduitCore
import Foundation
import Testing

/// `conduit parse` prints the same payload as the library (the golden
/// files) and exits 1 on an unreadable file.
@Suite struct ParseCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = ProcessInfo.processInfo.environment["CONDUIT_BIN"]
        ?? repository.appendingPathComponent(".build/debug/conduit").path

    @Test func printsTheGoldenPayload() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "conduit binary missing: \(Self.binary) (build it, or set CONDUIT_BIN)")
        let input = GoldenFiles.directory.appendingPathComponent("multipart-alternative-attachment.eml").path
        // Waiting for a child blocks a thread: not one of the (2) cooperative ones.
        let (status, output) = try await BlockingWork(width: 1).run { try Self.run(["parse", input]) }
        let expected = try String(contentsOf: GoldenFiles.directory.appendingPathComponent("multipart-alternative-attachment.json"), encoding: .utf8)
        #expect(status == 0)
        #expect(output == expected)
    }

    @Test func unreadableFileExitsOne() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary), "conduit binary missing: \(Self.binary)")
        let (status, _) = try await BlockingWork(width: 1).run { try Self.run(["parse", "/nonexistent/message.eml"]) }
        #expect(status == 1)
    }

    private static func run(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
