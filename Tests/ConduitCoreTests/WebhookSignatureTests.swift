import ConduitCore
import Foundation
import Testing

/// Signatures are judged by the official `standardwebhooks` library
/// (../shared/oracles/verify-webhook.py), not by re-deriving them here.
@Suite struct WebhookSignatureTests {
    static let oracle = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/oracles/verify-webhook.py")

    /// Runs the oracle; true when it says the request is valid.
    static func verify(secret: String, id: String, timestamp: Int, signature: String, body: [UInt8]) async throws -> Bool {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-sig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let bodyFile = directory.appendingPathComponent("body")
        try Data(body).write(to: bodyFile)
        let headers = try String(decoding: JSONSerialization.data(withJSONObject: [
            "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signature,
        ]), as: UTF8.self)
        let oracle = Self.oracle.path
        // Waiting for a child blocks a thread: not one of the few cooperative ones.
        return try await BlockingWork(width: 1).run {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", oracle, secret, headers, bodyFile.path, "--now", String(timestamp)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus == 0
        }
    }

    @Test func theOfficialLibraryAcceptsOurSignatures() async throws {
        try #require(FileManager.default.fileExists(atPath: Self.oracle.path), "oracle missing: \(Self.oracle.path)")
        let secret = "whsec_" + Data(SecureRandom.bytes(32)).base64EncodedString()
        let key = try #require(WebhookSignature.key(fromSecret: secret))
        let id = Identifier.generate().rawValue
        let body = Array(#"{"subject":"Grüße","text":"a\nb"}"#.utf8)
        let timestamp = 1_795_000_000
        let signature = WebhookSignature.sign(key: key, id: id, timestamp: timestamp, body: body)
        #expect(signature.hasPrefix("v1,"))
        #expect(try await Self.verify(secret: secret, id: id, timestamp: timestamp, signature: signature, body: body))
        // Tampering with any signed part is caught.
        #expect(try await !Self.verify(secret: secret, id: id, timestamp: timestamp, signature: signature, body: body + [0x20]))
        #expect(try await !Self.verify(secret: secret, id: id + "x", timestamp: timestamp, signature: signature, body: body))
        #expect(try await !Self.verify(secret: secret, id: id, timestamp: timestamp + 1, signature: signature, body: body))
    }

    /// During a rotation: `v1,<new> v1,<old>`, each an HMAC of its own key
    /// over the same content, and a receiver holding either secret verifies.
    @Test func twoKeysGiveTwoSignaturesNewFirst() async throws {
        let newSecret = "whsec_" + Data(SecureRandom.bytes(32)).base64EncodedString()
        let oldSecret = "whsec_" + Data(SecureRandom.bytes(24)).base64EncodedString()
        let oldKey = try #require(WebhookSignature.key(fromSecret: oldSecret))
        let keys = WebhookSignature.Keys(current: try #require(WebhookSignature.key(fromSecret: newSecret)), previous: oldKey)
        let body = Array(#"{"subject":"rotated"}"#.utf8)
        let timestamp = 1_795_000_000
        let header = WebhookSignature.sign(keys: keys, id: "msg_2", timestamp: timestamp, body: body)
        let parts = header.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        try #require(parts.count == 2)
        let content = Array("msg_2.\(timestamp).".utf8) + body
        #expect(parts[0] == "v1," + Data(HMAC.sha256(key: keys.current, message: content)).base64EncodedString())
        #expect(parts[1] == "v1," + Data(HMAC.sha256(key: oldKey, message: content)).base64EncodedString())
        // One key: one signature, the same as the first of two.
        #expect(WebhookSignature.sign(keys: .init(current: keys.current), id: "msg_2", timestamp: timestamp, body: body) == parts[0])
        #expect(WebhookSignature.sign(key: keys.current, id: "msg_2", timestamp: timestamp, body: body) == parts[0])

        try #require(FileManager.default.fileExists(atPath: Self.oracle.path), "oracle missing: \(Self.oracle.path)")
        for secret in [newSecret, oldSecret] {
            #expect(try await Self.verify(secret: secret, id: "msg_2", timestamp: timestamp, signature: header, body: body))
        }
        let stranger = "whsec_" + Data(SecureRandom.bytes(32)).base64EncodedString()
        #expect(try await !Self.verify(secret: stranger, id: "msg_2", timestamp: timestamp, signature: header, body: body))
    }

    @Test func secretsMustBeWhsecBase64() {
        #expect(WebhookSignature.key(fromSecret: "whsec_AAEC") == [0, 1, 2])
        #expect(WebhookSignature.key(fromSecret: "AAEC") == nil)
        #expect(WebhookSignature.key(fromSecret: "whsec_not base64!") == nil)
        #expect(WebhookSignature.key(fromSecret: "whsec_") == nil)
    }
}
