import ConduitCore
import ConduitIdentity
import FoundationEssentials
import Hummingbird

/// `/api/v1/accounts`: sign-up, the current account, timezone, passwords.
struct AccountsController {
    let identity: IdentityService

    struct SignUpRequest: Decodable { let email: String; let password: String }
    struct TimezoneRequest: Decodable { let timezone: String }
    struct ChangePasswordRequest: Decodable { let current_password: String; let new_password: String }
    struct DeleteRequest: Decodable { let confirm: Bool?; let password: String }
    struct ResetRequest: Decodable { let email: String }
    struct ResetConfirmRequest: Decodable { let token: String; let new_password: String }

    struct AccountResponse: Encodable {
        let id: String
        let email: String
        let timezone: String
        let created_at: Date
        let updated_at: Date

        init(_ account: Account) {
            id = account.id
            email = account.email
            timezone = account.timezone
            created_at = account.createdAt
            updated_at = account.updatedAt
        }
    }

    func addRoutes(public group: RouterGroup<ConduitRequestContext>, authenticated: RouterGroup<AuthenticatedContext>) {
        group.post("accounts") { request, _ in
            let body = try await request.decodeJSON(SignUpRequest.self)
            let account = try await identity.signUp(email: body.email, password: body.password)
            return try APIJSON.response(AccountResponse(account), status: .created)
        }
        group.post("accounts/me/password-reset") { request, _ in
            let body = try await request.decodeJSON(ResetRequest.self)
            identity.requestPasswordReset(email: body.email)
            return Response(status: .accepted)
        }
        group.put("accounts/me/password-reset") { request, _ in
            let body = try await request.decodeJSON(ResetConfirmRequest.self)
            try await identity.confirmPasswordReset(token: body.token, newPassword: body.new_password)
            return APIJSON.noContent()
        }
        authenticated.get("accounts/me") { _, context in
            let account = try identity.currentAccount(context.principal)
            return try APIJSON.response(AccountResponse(account))
        }
        authenticated.delete("accounts/me") { request, context in
            try context.requireSession(identity)
            let body = try await request.decodeJSON(DeleteRequest.self)
            try await identity.deleteAccount(context.principal, password: body.password, confirm: body.confirm == true)
            return APIJSON.noContent()
        }
        authenticated.put("accounts/me/timezone") { request, context in
            let body = try await request.decodeJSON(TimezoneRequest.self)
            try identity.updateTimezone(context.principal, timezone: body.timezone)
            return APIJSON.noContent()
        }
        authenticated.put("accounts/me/password") { request, context in
            try context.requireSession(identity)
            let body = try await request.decodeJSON(ChangePasswordRequest.self)
            try await identity.changePassword(context.principal, current: body.current_password, new: body.new_password)
            return APIJSON.noContent()
        }
    }
}
