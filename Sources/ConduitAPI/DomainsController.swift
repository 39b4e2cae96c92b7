import ConduitCore
import ConduitDomains
import ConduitIdentity
import FoundationEssentials
import Hummingbird

/// `/api/v1/domains`: claims, DNS TXT verification, public domains.
struct DomainsController {
    let domains: DomainService

    struct CreateRequest: Decodable { let name: String }

    struct DomainResponse: Encodable {
        let domain: Domain

        enum CodingKeys: String, CodingKey { case id, account_id, name, is_public, verified, verification_token, created_at, updated_at }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(domain.id, forKey: .id)
            try c.encode(domain.accountID, forKey: .account_id)
            try c.encode(domain.name, forKey: .name)
            try c.encode(domain.isPublic, forKey: .is_public)
            try c.encode(domain.verified, forKey: .verified)
            try c.encode(domain.verificationToken, forKey: .verification_token)
            try c.encode(domain.createdAt, forKey: .created_at)
            try c.encode(domain.updatedAt, forKey: .updated_at)
        }
    }

    func addRoutes(authenticated: RouterGroup<AuthenticatedContext>) {
        authenticated.get("domains") { _, context in
            let list = try domains.list(accountID: context.principal.accountID)
            return try APIJSON.response(list.map(DomainResponse.init))
        }
        authenticated.post("domains") { request, context in
            let body = try await request.decodeJSON(CreateRequest.self)
            let domain = try domains.claim(accountID: context.principal.accountID, name: body.name)
            return try APIJSON.response(DomainResponse(domain: domain), status: .created)
        }
        authenticated.get("domains/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            let domain = try domains.get(accountID: context.principal.accountID, id: id)
            return try APIJSON.response(DomainResponse(domain: domain))
        }
        authenticated.delete("domains/{id}") { _, context in
            let id = context.parameters.get("id") ?? ""
            try domains.delete(accountID: context.principal.accountID, id: id)
            return APIJSON.noContent()
        }
        authenticated.post("domains/{id}/verify") { _, context in
            let id = context.parameters.get("id") ?? ""
            let domain = try await domains.verify(accountID: context.principal.accountID, id: id)
            return try APIJSON.response(DomainResponse(domain: domain))
        }
    }
}

extension APIError {
    /// The API's answer to each domain refusal (docs/API.md).
    init(_ error: DomainError) {
        switch error {
        case let .invalidName(reason): self.init(.unprocessableContent, code: "invalid_domain", "Invalid domain name: \(reason)")
        case .alreadyClaimed: self.init(.conflict, code: "domain_already_claimed", "This domain is already claimed by you, verified by another account, or public")
        case let .tooManyDomains(limit): self.init(.unprocessableContent, code: "too_many_domains", "An account may claim at most \(limit) domains")
        case .notFound: self = .notFound()
        case .publicDomain: self.init(.forbidden, code: "public_domain", "Public domains come from the server configuration and cannot be deleted")
        case .recordNotFound: self.init(.unprocessableContent, code: "dns_record_not_found", "No TXT record found at _conduit.<domain>")
        case .recordMismatch: self.init(.unprocessableContent, code: "dns_record_mismatch", "The TXT records at _conduit.<domain> do not contain conduit-verification=<verification_token>")
        case let .temporaryFailure(reason): self.init(.unprocessableContent, code: "dns_temporary_failure", "DNS lookup failed temporarily (\(reason)); try again")
        case .storageFull: self = .storageFull()
        }
    }
}
