public import ConduitIdentity
public import Hummingbird
import FoundationEssentials

/// An API failure as the client sees it: a status and the docs/API.md body
/// `{"code": "snake_case", "error": "human sentence"}`.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    /// Machine-readable, snake_case.
    public var code: String
    /// A sentence for people.
    public var message: String
    /// Extra headers, e.g. `Retry-After` on 429.
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = try JSONEncoder().encode(Body(code: code, error: message))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    private struct Body: Encodable {
        let code: String
        let error: String
    }

    public static func notFound(_ message: String = "Not found") -> APIError {
        APIError(.notFound, code: "not_found", message)
    }

    /// 507 `storage_full`: the one answer to a full store (map or disk), from
    /// any service's `storageFull` refusal or a raw `StoreError` that
    /// `StoreError.isStorageFull` recognizes (`ErrorMiddleware`).
    public static func storageFull() -> APIError {
        APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), code: "storage_full", "The server's storage is full; try again later")
    }

    public static func internalError() -> APIError {
        APIError(.internalServerError, code: "internal_error", "The server failed to handle the request; it has been logged")
    }
}

extension APIError {
    public static func unauthorized() -> APIError {
        APIError(.unauthorized, code: "unauthorized", "A valid bearer token is required")
    }

    /// The API's answer to each identity refusal (docs/API.md).
    public init(_ error: IdentityError) {
        switch error {
        case .unauthorized: self = .unauthorized()
        case .invalidCredentials: self.init(.unauthorized, code: "invalid_credentials", "The email or password is wrong")
        case .invalidToken: self.init(.unauthorized, code: "invalid_token", "The token is invalid, used or expired")
        case .invalidTOTP: self.init(.unauthorized, code: "invalid_totp", "The code is wrong or was already used")
        case .emailTaken: self.init(.conflict, code: "email_taken", "An account with this email exists")
        case .invalidEmail: self.init(.unprocessableContent, code: "invalid_email", "The email address is not valid")
        case .invalidPassword: self.init(.unprocessableContent, code: "invalid_password", "The password must be 8 to 128 characters")
        case .invalidTimezone: self.init(.unprocessableContent, code: "invalid_timezone", "The timezone is not an IANA time-zone name")
        case .confirmationRequired: self.init(.unprocessableContent, code: "confirmation_required", "Set confirm to true to delete the account")
        case .totpNotSetUp: self.init(.unprocessableContent, code: "totp_not_setup", "Call 2fa/setup before 2fa/enable")
        case .totpNotEnabled: self.init(.unprocessableContent, code: "totp_not_enabled", "Two-factor authentication is not enabled")
        case .totpAlreadyEnabled: self.init(.conflict, code: "totp_already_enabled", "Two-factor authentication is already enabled")
        case .invalidName: self.init(.unprocessableContent, code: "invalid_name", "The name must be 1 to 100 characters")
        case let .invalidIP(value): self.init(.unprocessableContent, code: "invalid_ip", "Not an IP address or CIDR range: \(value)")
        case .invalidExpiresIn: self.init(.unprocessableContent, code: "invalid_expires_in", "expires_in must be 1 to 315360000 seconds")
        case let .tooManyTokens(limit): self.init(.unprocessableContent, code: "too_many_tokens", "An account may have at most \(limit) API tokens")
        case let .tooManyAttempts(retryAfter):
            var headers = HTTPFields()
            headers[.retryAfter] = String(retryAfter)
            self.init(.tooManyRequests, code: "too_many_attempts", "Too many failed sign-ins; try again in \(retryAfter) seconds", headers: headers)
        case let .tooManyCodes(retryAfter):
            var headers = HTTPFields()
            headers[.retryAfter] = String(retryAfter)
            self.init(.tooManyRequests, code: "too_many_attempts", "Too many wrong two-factor codes; try again in \(retryAfter) seconds", headers: headers)
        case .sessionRequired:
            self.init(.forbidden, code: "session_required", "This operation needs a signed-in session's access token, not an API token")
        case .notFound: self = .notFound()
        case .storageFull: self = .storageFull()
        }
    }
}
