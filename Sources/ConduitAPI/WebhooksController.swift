import ConduitCore
import ConduitIdentity
import ConduitWebhooks
import FoundationEssentials
import Hummingbird

/// `/api/v1/webhooks` (management; delivery logs and simulate come with delivery).
struct WebhooksController {
    let webhooks: WebhookService

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

        enum CodingKeys: String, CodingKey {
            case address, target_url, secret, custom_headers, payload_template, rate_limit, active, smtp_security_policy_id, clear_security_policy
        }

        init(from decoder: any Decoder) throws {
            try decoder.rejectNulls()
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
        }

        var input: WebhookInput {
            WebhookInput(
                address: address, targetURL: target_url, secret: secret, customHeaders: custom_headers,
                payloadTemplate: payload_template, rateLimit: rate_limit, active: active,
                smtpSecurityPolicyID: smtp_security_policy_id, clearSecurityPolicy: clear_security_policy
            )
        }
    }

    struct WebhookResponse: Encodable {
        let webhook: Webhook

        enum CodingKeys: String, CodingKey {
            case id, address, target_url, secret, custom_headers, payload_template, rate_limit, active, smtp_security_policy_id, created_at, updated_at
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(webhook.id, forKey: .id)
            try c.encode(webhook.address, forKey: .address)
            try c.encode(webhook.targetURL, forKey: .target_url)
            try c.encode(webhook.secret, forKey: .secret)
            try c.encode(webhook.customHeaders, forKey: .custom_headers)
            try c.encode(webhook.payloadTemplate, forKey: .payload_template)
            try c.encode(webhook.rateLimit, forKey: .rate_limit)
            try c.encode(webhook.active, forKey: .active)
            try c.encode(webhook.smtpSecurityPolicyID, forKey: .smtp_security_policy_id)
            try c.encode(webhook.createdAt, forKey: .created_at)
            try c.encode(webhook.updatedAt, forKey: .updated_at)
        }
    }

    func addRoutes(authenticated: RouterGroup<AuthenticatedContext>) {
        authenticated.get("webhooks") { _, context in
            let list = try webhooks.list(accountID: context.principal.accountID)
            return try APIJSON.response(list.map(WebhookResponse.init))
        }
        authenticated.post("webhooks") { request, context in
            let body = try await request.decodeJSON(WebhookRequest.self)
            let webhook = try webhooks.create(accountID: context.principal.accountID, input: body.input)
            return try APIJSON.response(WebhookResponse(webhook: webhook), status: .created)
        }
        authenticated.get("webhooks/{id}") { _, context in
            let webhook = try webhooks.get(accountID: context.principal.accountID, id: context.parameters.get("id") ?? "")
            return try APIJSON.response(WebhookResponse(webhook: webhook))
        }
        authenticated.put("webhooks/{id}") { request, context in
            let body = try await request.decodeJSON(WebhookRequest.self)
            let id = context.parameters.get("id") ?? ""
            let webhook = try webhooks.update(accountID: context.principal.accountID, id: id, input: body.input)
            return try APIJSON.response(WebhookResponse(webhook: webhook))
        }
        authenticated.delete("webhooks/{id}") { _, context in
            try webhooks.delete(accountID: context.principal.accountID, id: context.parameters.get("id") ?? "")
            return APIJSON.noContent()
        }
    }
}
