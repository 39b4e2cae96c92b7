import ConduitCore
import ConduitIdentity
import FoundationEssentials
import Hummingbird

/// `/api/v1/accounts/me/api-tokens`.
struct APITokensController {
    let identity: IdentityService

    struct CreateRequest: Decodable {
        let name: String
        let allowed_ips: [String]?
        let expires_in: Int?
    }

    struct TokenResponse: Encodable {
        let view: APITokenView

        enum CodingKeys: String, CodingKey { case id, name, token, allowed_ips, created_at, expires_at, last_used_at }

        func encode(to encoder: any Encoder) throws {
            // Every field, nulls included: clients rely on their presence (docs/API.md, "General").
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(view.record.id, forKey: .id)
            try c.encode(view.record.name, forKey: .name)
            try c.encode(view.token, forKey: .token)
            try c.encode(view.record.allowedIPs, forKey: .allowed_ips)
            try c.encode(view.record.createdAt, forKey: .created_at)
            try c.encode(view.record.expiresAt, forKey: .expires_at)
            try c.encode(view.record.lastUsedAt, forKey: .last_used_at)
        }
    }

    func addRoutes(authenticated: RouterGroup<AuthenticatedContext>) {
        authenticated.get("accounts/me/api-tokens") { _, context in
            let tokens = try identity.listAPITokens(context.principal)
            return try APIJSON.response(tokens.map(TokenResponse.init))
        }
        authenticated.post("accounts/me/api-tokens") { request, context in
            try context.requireSession(identity)
            let body = try await request.decodeJSON(CreateRequest.self)
            let view = try identity.createAPIToken(context.principal, name: body.name, allowedIPs: body.allowed_ips, expiresIn: body.expires_in)
            return try APIJSON.response(TokenResponse(view: view), status: .created)
        }
        authenticated.delete("accounts/me/api-tokens/{id}") { _, context in
            try context.requireSession(identity)
            let id = context.parameters.get("id") ?? ""
            try identity.deleteAPIToken(context.principal, id: id)
            return APIJSON.noContent()
        }
    }
}
