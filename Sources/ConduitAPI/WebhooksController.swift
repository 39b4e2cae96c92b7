import ConduitCore
import ConduitIdentity
import ConduitWebhooks
import FoundationEssentials
import Hummingbird

/// `/api/v1/webhooks`: management, the delivery log, and simulate.
struct WebhooksController {
    let webhooks: WebhookService
    let simulator: any WebhookSimulating

    /// `SimulateWebhookRequest`: every field optional (defaults in `SimulationInput`).
    struct SimulateRequest: Decodable {
        let from: String?
        let subject: String?
        let text: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case from, subject, text }

        init(from decoder: any Decoder) throws {
            try decoder.rejectNulls(of: CodingKeys.self, except: ["from", "subject", "text"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            from = try c.decodeIfPresent(String.self, forKey: .from)
            subject = try c.decodeIfPresent(String.self, forKey: .subject)
            text = try c.decodeIfPresent(String.self, forKey: .text)
        }
    }

    /// `SimulateWebhookResponse`.
    struct SimulateResponse: Encodable {
        let result: SimulationResult

        enum CodingKeys: String, CodingKey { case duration_ms, error, http_status, simulated }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(result.durationMs, forKey: .duration_ms)
            try c.encode(result.error, forKey: .error)
            try c.encode(result.httpStatus, forKey: .http_status)
            try c.encode(true, forKey: .simulated)
        }
    }

    struct WebhookRequest: Decodable {
        let address: String?
        let target_url: String?
        let secret: String?
        let custom_headers: [String: String]?
        let payload_template: String?
        let rate_limit: Int?
        let active: Bool?
        let smtp_security_policy_id: String?
        let clear_security_policy: Bool?
        let payload_format: String?
        /// Absent, null (unlimited) or a number.
        let max_payload_bytes: Int??

        enum CodingKeys: String, CodingKey, CaseIterable {
            case address, target_url, secret, custom_headers, payload_template, rate_limit, active, smtp_security_policy_id, clear_security_policy
            case payload_format, max_payload_bytes
        }

        init(from decoder: any Decoder) throws {
            try decoder.rejectNulls(of: CodingKeys.self, except: ["max_payload_bytes"])
            let c = try decoder.container(keyedBy: CodingKeys.self)
            address = try c.decodeIfPresent(String.self, forKey: .address)
            target_url = try c.decodeIfPresent(String.self, forKey: .target_url)
            secret = try c.decodeIfPresent(String.self, forKey: .secret)
            custom_headers = try c.decodeIfPresent([String: String].self, forKey: .custom_headers)
            payload_template = try c.decodeIfPresent(String.self, forKey: .payload_template)
            rate_limit = try c.decodeIfPresent(Int.self, forKey: .rate_limit)
            active = try c.decodeIfPresent(Bool.self, forKey: .active)
            smtp_security_policy_id = try c.decodeIfPresent(String.self, forKey: .smtp_security_policy_id)
            clear_security_policy = try c.decodeIfPresent(Bool.self, forKey: .clear_security_policy)
            payload_format = try c.decodeIfPresent(String.self, forKey: .payload_format)
            if c.contains(.max_payload_bytes) {
                max_payload_bytes = .some(try c.decodeNil(forKey: .max_payload_bytes) ? nil : try c.decode(Int.self, forKey: .max_payload_bytes))
            } else {
                max_payload_bytes = nil
            }
        }

        var input: WebhookInput {
            WebhookInput(
                address: address, targetURL: target_url, secret: secret, customHeaders: custom_headers,
                payloadTemplate: payload_template, rateLimit: rate_limit, active: active,
                smtpSecurityPolicyID: smtp_security_policy_id, clearSecurityPolicy: clear_security_policy,
                payloadFormat: payload_format, maxPayloadBytes: max_payload_bytes
            )
        }
    }

    /// `RotateSecretRequest`: both fields optional, the body too.
    struct RotateSecretRequest: Decodable {
        let secret: String?
        let previous_valid_seconds: Int?

        enum CodingKeys: String, CodingKey, CaseIterable { case secret, previous_valid_seconds }

        init(from decoder: any Decoder) throws {
            try decoder.rejectNulls(of: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            secret = try c.decodeIfPresent(String.self, forKey: .secret)
            previous_valid_seconds = try c.decodeIfPresent(Int.self, forKey: .previous_valid_seconds)
        }

        var input: SecretRotationInput { SecretRotationInput(secret: secret, previousValidSeconds: previous_valid_seconds) }
    }

    /// `WebhookResponse` of openapi.json, members in its order.
    struct WebhookResponse: JSONBytesEncodable {
        let webhook: Webhook

        func write(to writer: inout JSONByteWriter) {
            writer.beginObject()
            writer.key("id"); writer.string(webhook.id)
            writer.key("address"); writer.string(webhook.address)
            writer.key("target_url"); writer.string(webhook.targetURL)
            writer.key("secret"); writer.string(webhook.secret)
            writer.key("custom_headers"); writer.stringMap(webhook.customHeaders)
            writer.key("payload_template"); writer.string(webhook.payloadTemplate)
            writer.key("rate_limit"); writer.int(webhook.rateLimit)
            writer.key("active"); writer.bool(webhook.active)
            writer.key("smtp_security_policy_id"); writer.string(webhook.smtpSecurityPolicyID)
            writer.key("payload_format"); writer.string(webhook.payloadFormat.rawValue)
            writer.key("max_payload_bytes"); writer.int(webhook.maxPayloadBytes)
            // Null once passed, though the record keeps it until its next write.
            writer.key("previous_secret_expires_at"); writer.date(webhook.previousSecretExpiry(at: Date()))
            writer.key("created_at"); writer.date(webhook.createdAt)
            writer.key("updated_at"); writer.date(webhook.updatedAt)
            writer.endObject()
        }
    }

    /// `DeliveryLogResponse` of openapi.json, members in its order.
    struct DeliveryLogResponse: JSONBytesEncodable {
        let log: DeliveryLog

        func write(to writer: inout JSONByteWriter) {
            writer.beginObject()
            writer.key("id"); writer.string(log.id)
            writer.key("webhook_id"); writer.string(log.webhookID)
            writer.key("attempted_at"); writer.date(log.attemptedAt)
            writer.key("duration_ms"); writer.int(log.durationMs)
            writer.key("error"); writer.string(log.error)
            writer.key("http_status"); writer.int(log.httpStatus)
            writer.key("sender"); writer.string(log.sender)
            writer.key("simulated"); writer.bool(log.simulated)
            writer.key("smtp_message_id"); writer.string(log.smtpMessageID)
            writer.endObject()
        }
    }

    /// `page` (from 1) and `page_size` (1…100, default 50); anything else is 422.
    static func paging(_ request: Request) throws -> (page: Int, size: Int) {
        func value(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            let values = request.uri.queryParameters[values: Substring(name)]
            guard let raw = values.first else { return fallback }
            guard values.count == 1, raw.utf8.count <= 18, raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let number = Int(String(raw)), range.contains(number)
            else {
                throw ResourceError.invalid(code: "invalid_request", message: "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        return (try value("page", default: 1, range: 1...1_000_000), try value("page_size", default: 50, range: 1...100))
    }

    func addRoutes(authenticated: RouterGroup<AuthenticatedContext>) {
        authenticated.get("webhooks") { _, context in
            let list = try webhooks.list(accountID: context.principal.accountID)
            return APIJSON.response(list.map(WebhookResponse.init))
        }
        authenticated.post("webhooks") { request, context in
            let body = try await request.decodeJSON(WebhookRequest.self)
            let webhook = try webhooks.create(accountID: context.principal.accountID, input: body.input)
            return APIJSON.response(WebhookResponse(webhook: webhook), status: .created)
        }
        authenticated.get("webhooks/{id}") { _, context in
            let webhook = try webhooks.get(accountID: context.principal.accountID, id: context.parameters.get("id") ?? "")
            return APIJSON.response(WebhookResponse(webhook: webhook))
        }
        authenticated.put("webhooks/{id}") { request, context in
            let body = try await request.decodeJSON(WebhookRequest.self)
            let id = context.parameters.get("id") ?? ""
            let webhook = try webhooks.update(accountID: context.principal.accountID, id: id, input: body.input)
            return APIJSON.response(WebhookResponse(webhook: webhook))
        }
        authenticated.get("webhooks/{id}/logs") { request, context in
            let id = context.parameters.get("id") ?? ""
            let paging = try Self.paging(request)
            let logs = try webhooks.logs(accountID: context.principal.accountID, webhookID: id, page: paging.page, pageSize: paging.size)
            return APIJSON.response(logs.map(DeliveryLogResponse.init))
        }
        authenticated.get("webhooks/{id}/logs/{logId}") { _, context in
            let log = try webhooks.log(
                accountID: context.principal.accountID, webhookID: context.parameters.get("id") ?? "",
                logID: context.parameters.get("logId") ?? ""
            )
            return APIJSON.response(DeliveryLogResponse(log: log))
        }
        authenticated.post("webhooks/{id}/simulate") { request, context in
            let webhook = try webhooks.get(accountID: context.principal.accountID, id: context.parameters.get("id") ?? "")
            let body = try await request.decodeOptionalJSON(SimulateRequest.self)
            let input = try SimulationInput(from: body?.from, subject: body?.subject, text: body?.text)
            let result = await simulator.simulate(webhook: webhook, input: input)
            return try APIJSON.response(SimulateResponse(result: result))
        }
        authenticated.post("webhooks/{id}/rotate-secret") { request, context in
            let id = context.parameters.get("id") ?? ""
            // Not found before a bad body, as simulate answers.
            _ = try webhooks.get(accountID: context.principal.accountID, id: id)
            let body = try await request.decodeOptionalJSON(RotateSecretRequest.self)
            let input = body?.input ?? SecretRotationInput()
            let webhook = try webhooks.rotateSecret(accountID: context.principal.accountID, id: id, input: input)
            return APIJSON.response(WebhookResponse(webhook: webhook))
        }
        authenticated.delete("webhooks/{id}") { _, context in
            try webhooks.delete(accountID: context.principal.accountID, id: context.parameters.get("id") ?? "")
            return APIJSON.noContent()
        }
    }
}
