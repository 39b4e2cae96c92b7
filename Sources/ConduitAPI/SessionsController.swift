import ConduitIdentity
import Hummingbird

/// `/api/v1/sessions`: sign-in (with the TOTP second step), refresh, sign-out.
struct SessionsController {
    let identity: IdentityService

    struct SignInRequest: Decodable { let email: String; let password: String }
    struct CompleteRequest: Decodable { let totp_token: String; let code: String }
    struct RefreshRequest: Decodable { let refresh_token: String }
    struct SignOutRequest: Decodable { let refresh_token: String? }

    struct SessionResponse: Encodable {
        let access_token: String
        let expires_in: Int
        let refresh_token: String

        init(_ tokens: SessionTokens) {
            access_token = tokens.accessToken
            expires_in = tokens.expiresIn
            refresh_token = tokens.refreshToken
        }
    }

    struct ChallengeResponse: Encodable {
        let totp_required = true
        let totp_token: String
        let expires_in: Int
    }

    func addRoutes(public group: RouterGroup<ConduitRequestContext>, authenticated: RouterGroup<AuthenticatedContext>) {
        group.post("sessions") { request, _ in
            let body = try await request.decodeJSON(SignInRequest.self)
            switch try await identity.signIn(email: body.email, password: body.password) {
            case let .session(tokens): return try APIJSON.response(SessionResponse(tokens))
            case let .totpRequired(challenge, expiresIn):
                return try APIJSON.response(ChallengeResponse(totp_token: challenge, expires_in: expiresIn))
            }
        }
        group.post("sessions/2fa") { request, _ in
            let body = try await request.decodeJSON(CompleteRequest.self)
            let tokens = try identity.completeSignIn(challenge: body.totp_token, code: body.code)
            return try APIJSON.response(SessionResponse(tokens))
        }
        group.post("sessions/refresh") { request, _ in
            let body = try await request.decodeJSON(RefreshRequest.self)
            let tokens = try identity.refresh(refreshToken: body.refresh_token)
            return try APIJSON.response(SessionResponse(tokens))
        }
        authenticated.delete("sessions") { request, context in
            let body = try await request.decodeOptionalJSON(SignOutRequest.self)
            try identity.signOut(context.principal, refreshToken: body?.refresh_token)
            return APIJSON.noContent()
        }
    }
}
