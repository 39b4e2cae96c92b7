public import ConduitCore
import ConduitMIME
import ConduitStore
public import ConduitWebhooks
import Foundation
import Logging

extension DeliveryEngine: WebhookSimulating {
    /// One POST of a synthetic message through the real path (parser,
    /// payload, template, signature, egress guard, HTTP client), in the
    /// webhook's payload format, logged with `simulated: true`. It does not
    /// retry, take a rate-limit token, or deactivate the webhook on 410: it
    /// only reports what the endpoint said.
    public func simulate(webhook: Webhook, input: SimulationInput) async -> SimulationResult {
        let now = Date()
        let id = Identifier.generate().rawValue
        let rcptTo = webhook.address.hasPrefix("*@") ? "test" + webhook.address.dropFirst() : webhook.address
        let raw = SimulatedMessage.build(id: id, from: input.from, to: rcptTo, subject: input.subject, text: input.text, date: now)
        let parsed = MIMEParser.parse(raw)
        let context = PayloadContext(id: id, webhookID: webhook.id, receivedAt: now, mailFrom: input.from, rcptTo: rcptTo)
        let response: WebhookResponse
        do {
            let body: [UInt8]
            var conduitHeaders: [(String, String)] = []
            switch webhook.payloadFormat {
            case .json:
                // A template past its render budget ends the simulation with
                // its reason, as it would end a real attempt; nothing is sent.
                body = try await PayloadRenderer.render(message: parsed, context: context, template: webhook.payloadTemplate)
            case .jsonRaw:
                // The message is ≤ 1 MiB of text plus a few headers: in
                // memory, built on the render threads like any body.
                body = try await PayloadRenderer.renderThreads.run {
                    WebhookPayload(message: parsed, context: context).compactJSON(rawMessage: raw)
                }
            case .raw:
                body = raw
                // No SMTP session: no client address, SPF not checked.
                conduitHeaders = EnvelopeHeaders.headers(mailFrom: input.from, rcptTo: rcptTo, remoteIP: nil, spfResult: nil)
            }
            let request = try WebhookRequest.signed(
                webhook: webhook, messageID: id, timestamp: Int(now.timeIntervalSince1970), body: body, userAgent: settings.userAgent,
                contentType: webhook.payloadFormat.contentType, conduitHeaders: conduitHeaders
            )
            response = await client.post(request, timeout: settings.timeout)
        } catch {
            response = WebhookResponse(status: nil, error: "\(error)", durationMs: 0)
        }
        var error = response.error
        if let status = response.status, !(200..<300).contains(status) {
            if case let .failed(_, reason, _) = AttemptOutcome.classify(status: status, retryAfter: nil, now: 0) {
                error = reason
            } else {
                error = "HTTP \(status)"
            }
        }
        let log = DeliveryLog(
            id: Identifier.generate().rawValue, webhookID: webhook.id, accountID: webhook.accountID, deliveryID: nil,
            messageID: id, smtpMessageID: parsed.messageID, sender: input.from, attemptedAt: now,
            durationMs: response.durationMs, httpStatus: response.status, error: error, simulated: true
        )
        let store = store
        do {
            try await io.run { try store.write { txn in try txn.insert(log) } }
        } catch {
            logger.error("simulate: writing the log row failed", metadata: ["webhook": "\(webhook.id)", "error": "\(error)"])
        }
        return SimulationResult(httpStatus: response.status, error: error, durationMs: response.durationMs)
    }
}

/// The RFC 5322 text of a simulated message: plain UTF-8 text, the subject
/// as an RFC 2047 encoded word when it is not ASCII.
enum SimulatedMessage {
    static func build(id: String, from: String, to: String, subject: String, text: String, date: Date) -> [UInt8] {
        let encodedSubject = subject.utf8.allSatisfy({ $0 < 0x80 })
            ? subject
            : "=?utf-8?b?" + Data(subject.utf8).base64EncodedString() + "?="
        // Bare CR or LF in the text become CRLF line ends.
        let body = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        let head = [
            "From: <\(from)>",
            "To: <\(to)>",
            "Subject: \(encodedSubject)",
            "Date: \(RFC5322Date.format(date))",
            "Message-ID: <\(id)@simulate.conduit.invalid>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ].joined(separator: "\r\n")
        return Array((head + "\r\n\r\n" + body).utf8)
    }
}
