import ConduitDelivery
import ConduitMIME
import Foundation

/// MIME: the input is a message. It is parsed (attachments decoded, and
/// left by reference as a delivery does) and its default payload written.
///
/// Promises checked: the payload writer gives the same bytes as the payload
/// tree serialised (docs/ARCHITECTURE.md, `PayloadJSONWriter`), and those
/// bytes are one JSON object.
enum MIMEFuzzTarget {
    static func run(_ input: [UInt8]) {
        let message = MIMEParser.parse(input)
        _ = input.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }
        _ = input.withUnsafeBytes { MIMEParser.messageID(buffer: $0) }

        let payload = WebhookPayload(message: message)
        let written = payload.compactJSON()
        let serialised = Array(payload.jsonValue().serialized().utf8)
        precondition(written == serialised, "PayloadJSONWriter and the payload tree disagree")
        let object = try? JSONSerialization.jsonObject(with: Data(written))
        precondition(object is [String: Any], "the payload is not a JSON object")
        _ = payload.jsonValue().serialized(pretty: true)
    }
}
