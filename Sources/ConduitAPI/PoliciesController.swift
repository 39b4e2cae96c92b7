import ConduitCore
import ConduitIdentity
import ConduitWebhooks
import FoundationEssentials
import Hummingbird

/// `/api/v1/smtp-policies`.
struct PoliciesController {
    let policies: PolicyService

    struct PolicyRequest: Decodable {
        let name: String?
        let allowed_source_ips: String?
        let allowed_spf_domains: String?
        let allowed_dkim_domains: String?
        let require_spf: Bool?
        let require_dkim: Bool?
        let require_smtp_auth: Bool?
        let smtp_credentials: String?
        let dmarc_enforcement: String?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case name, allowed_source_ips, allowed_spf_domains, allowed_dkim_domains, require_spf, require_dkim, require_smtp_auth, smtp_credentials
            case dmarc_enforcement
        }

        init(from decoder: any Decoder) throws {
            try decoder.rejectNulls(of: CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decodeIfPresent(String.self, forKey: .name)
            allowed_source_ips = try c.decodeIfPresent(String.self, forKey: .allowed_source_ips)
            allowed_spf_domains = try c.decodeIfPresent(String.self, forKey: .allowed_spf_domains)
            allowed_dkim_domains = try c.decodeIfPresent(String.self, forKey: .allowed_dkim_domains)
            require_spf = try c.decodeIfPresent(Bool.self, forKey: .require_spf)
            require_dkim = try c.decodeIfPresent(Bool.self, forKey: .require_dkim)
            require_smtp_auth = try c.decodeIfPresent(Bool.self, forKey: .require_smtp_auth)
            smtp_credentials = try c.decodeIfPresent(String.self, forKey: .smtp_credentials)
            dmarc_enforcement = try c.decodeIfPresent(String.self, forKey: .dmarc_enforcement)
        }

        var input: PolicyInput {
            PolicyInput(
                name: name, allowedSourceIPs: allowed_source_ips, allowedSPFDomains: allowed_spf_domains,
                allowedDKIMDomains: allowed_dkim_domains, requireSPF: require_spf, requireDKIM: require_dkim,
                requireSMTPAuth: require_smtp_auth, smtpCredentials: smtp_credentials, dmarcEnforcement: dmarc_enforcement
            )
        }
    }

    /// Lists are shown as comma-separated strings, as the seed's fields are
    /// strings; credentials show user names only (passwords are hashed).
    struct PolicyResponse: Encodable {
        let id: String
        let name: String
        let allowed_source_ips: String
        let allowed_spf_domains: String
        let allowed_dkim_domains: String
        let require_spf: Bool
        let require_dkim: Bool
        let require_smtp_auth: Bool
        let smtp_credentials: String
        let dmarc_enforcement: String
        let created_at: Date
        let updated_at: Date

        init(_ p: SMTPSecurityPolicy) {
            id = p.id
            name = p.name
            allowed_source_ips = p.allowedSourceIPs.joined(separator: ", ")
            allowed_spf_domains = p.allowedSPFDomains.joined(separator: ", ")
            allowed_dkim_domains = p.allowedDKIMDomains.joined(separator: ", ")
            require_spf = p.requireSPF
            require_dkim = p.requireDKIM
            require_smtp_auth = p.requireSMTPAuth
            smtp_credentials = p.credentials.map(\.username).joined(separator: ", ")
            dmarc_enforcement = p.dmarcEnforcement.rawValue
            created_at = p.createdAt
            updated_at = p.updatedAt
        }
    }

    func addRoutes(authenticated: RouterGroup<AuthenticatedContext>) {
        authenticated.get("smtp-policies") { _, context in
            let list = try policies.list(accountID: context.principal.accountID)
            return try APIJSON.response(list.map(PolicyResponse.init))
        }
        authenticated.post("smtp-policies") { request, context in
            let body = try await request.decodeJSON(PolicyRequest.self)
            let policy = try await policies.create(accountID: context.principal.accountID, input: body.input)
            return try APIJSON.response(PolicyResponse(policy), status: .created)
        }
        authenticated.get("smtp-policies/{id}") { _, context in
            let policy = try policies.get(accountID: context.principal.accountID, id: context.parameters.get("id") ?? "")
            return try APIJSON.response(PolicyResponse(policy))
        }
        authenticated.put("smtp-policies/{id}") { request, context in
            let body = try await request.decodeJSON(PolicyRequest.self)
            let id = context.parameters.get("id") ?? ""
            let policy = try await policies.update(accountID: context.principal.accountID, id: id, input: body.input)
            return try APIJSON.response(PolicyResponse(policy))
        }
        authenticated.delete("smtp-policies/{id}") { _, context in
            try policies.delete(accountID: context.principal.accountID, id: context.parameters.get("id") ?? "")
            return APIJSON.noContent()
        }
    }
}

extension APIError {
    init(_ error: ResourceError) {
        switch error {
        case let .invalid(code, message): self.init(.unprocessableContent, code: code, message)
        case .notFound: self = .notFound()
        case .addressTaken: self.init(.conflict, code: "address_taken", "A webhook for this address already exists")
        case let .usernameTaken(username): self.init(.conflict, code: "username_taken", "The SMTP user name \(username) is already in use")
        case .storageFull: self = .storageFull()
        case let .gone(code, message): self.init(.gone, code: code, message)
        case let .conflict(code, message): self.init(.conflict, code: code, message)
        }
    }
}
