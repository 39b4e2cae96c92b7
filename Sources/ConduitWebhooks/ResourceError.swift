/// Why a policy or webhook change was refused. `code` is the API's error
/// code (docs/API.md); the API maps `invalid` to 422.
public enum ResourceError: Error, Equatable, Sendable {
    case invalid(code: String, message: String)
    case notFound
    /// Another webhook (of any account) has this address.
    case addressTaken
    /// Another policy (of any account) has this SMTP AUTH user name.
    case usernameTaken(String)
    case storageFull
    /// The thing asked for is gone for good (API 410), e.g. a message whose
    /// body left the spool.
    case gone(code: String, message: String)
    /// Refused in the resource's present state (API 409).
    case conflict(code: String, message: String)
}
