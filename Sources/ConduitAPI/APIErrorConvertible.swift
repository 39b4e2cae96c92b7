import ConduitDomains
import ConduitIdentity
import ConduitWebhooks

/// A service error with a defined API answer. `ErrorMiddleware` turns any
/// of these into its `{"code","error"}` response, so handlers just `try`.
protocol APIErrorConvertible: Error {
    var apiError: APIError { get }
}

extension IdentityError: APIErrorConvertible {
    var apiError: APIError { APIError(self) }
}

extension DomainError: APIErrorConvertible {
    var apiError: APIError { APIError(self) }
}

extension ResourceError: APIErrorConvertible {
    var apiError: APIError { APIError(self) }
}
