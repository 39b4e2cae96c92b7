import ConduitCore
import ConduitDelivery
import ConduitMIME
import Foundation
import Testing

/// Golden files (input → expected JSON) under Golden/. With
/// `CONDUIT_UPDATE_GOLDEN=1` in the environment a mismatch rewrites the
/// expected file instead of failing; review the diff before committing.
enum GoldenFiles {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["CONDUIT_UPDATE_GOLDEN"] == "1"

    /// The payload of `bytes` as the golden files hold it: indented, envelope null, a final newline.
    /// With `summarized`, long arrays keep their first 3 elements and long
    /// strings their first 60 characters plus length and SHA-256, so the
    /// payloads of megabyte inputs stay reviewable.
    static func payload(_ bytes: [UInt8], summarized: Bool = false) -> String {
        let value = WebhookPayload.payloadJSON(message: MIMEParser.parse(bytes))
        return (summarized ? summary(value) : value).serialized(pretty: true) + "\n"
    }

    static func summary(_ value: JSONValue) -> JSONValue {
        switch value {
        case let .array(values) where values.count > 5:
            return .array(values.prefix(3).map(summary) + [.string("… \(values.count - 3) more")])
        case let .array(values):
            return .array(values.map(summary))
        case let .object(members):
            return .object(members.map { ($0.0, summary($0.1)) })
        case let .string(text) where text.utf8.count > 200:
            let digest = SHA256.hash(text).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
            return .string(String(text.prefix(60)) + "… (\(text.utf8.count) bytes, sha256 \(digest))")
        default:
            return value
        }
    }

    /// Checks `actual` against Golden/`name`.
    static func check(_ actual: String, against name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        let expected = try? String(contentsOf: url, encoding: .utf8)
        if expected != actual, updating {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(expected != nil, "missing golden file \(name) (run with CONDUIT_UPDATE_GOLDEN=1)", sourceLocation: sourceLocation)
        #expect(expected == actual, "\(name) differs", sourceLocation: sourceLocation)
    }
}
