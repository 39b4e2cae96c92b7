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
}
