import ConduitCore
import ConduitIdentity
import FoundationEssentials
import Hummingbird

/// `/api/v1/accounts/me/2fa`: TOTP enrolment, backup codes, disabling.
struct TwoFactorController {
    let identity: IdentityService

    struct CodeRequest: Decodable { let code: String }
    struct SetupResponse: Encodable { let secret: String; let otpauth_url: String; let qr_code_png: String }
    struct BackupCodesResponse: Encodable { let backup_codes: [String] }

    func addRoutes(authenticated: RouterGroup<AuthenticatedContext>) {
        authenticated.post("accounts/me/2fa/setup") { _, context in
            try context.requireSession(identity)
            let setup = try identity.setupTOTP(context.principal)
            return try APIJSON.response(SetupResponse(
                secret: setup.secret, otpauth_url: setup.otpauthURL, qr_code_png: Data(setup.qrCodePNG).base64EncodedString()
            ))
        }
        authenticated.post("accounts/me/2fa/enable") { request, context in
            try context.requireSession(identity)
            let body = try await request.decodeJSON(CodeRequest.self)
            let codes = try identity.enableTOTP(context.principal, code: body.code)
            return try APIJSON.response(BackupCodesResponse(backup_codes: codes))
        }
        authenticated.post("accounts/me/2fa/backup-codes") { request, context in
            try context.requireSession(identity)
            let body = try await request.decodeJSON(CodeRequest.self)
            let codes = try identity.regenerateBackupCodes(context.principal, code: body.code)
            return try APIJSON.response(BackupCodesResponse(backup_codes: codes))
        }
        authenticated.delete("accounts/me/2fa") { request, context in
            try context.requireSession(identity)
            let body = try await request.decodeJSON(CodeRequest.self)
            try identity.disableTOTP(context.principal, code: body.code)
            return APIJSON.noContent()
        }
    }
}
