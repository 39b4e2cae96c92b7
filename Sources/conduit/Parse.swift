import ArgumentParser
import ConduitDelivery
import ConduitMIME
import Foundation

/// `conduit parse`: the webhook payload a message file would produce (docs/PAYLOAD.md).
struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the webhook JSON (docs/PAYLOAD.md) a message file would produce, envelope fields null.",
        discussion: """
            Runs the server's MIME parser on FILE (RFC 5322; CRLF or LF line ends) and prints the \
            default webhook body, indented. Envelope, authentication and delivery fields are null. \
            With --defects, also prints what was malformed, one line each on stderr.
            """
    )

    @Flag(name: .long, help: "Also print the parser's defects on stderr.")
    var defects = false

    @Flag(name: .long, help: "Print compact JSON (the bytes a webhook receives).")
    var compact = false

    @Argument(help: "The message file.")
    var file: String

    func run() throws {
        let bytes = try readMessageFile(file)
        let message = MIMEParser.parse(bytes)
        print(WebhookPayload.payloadJSON(message: message).serialized(pretty: !compact))
        if defects {
            for defect in message.defects { printError("defect: \(defect)") }
        }
    }
}
