/// The tokens of a new or refreshed session, as the client receives them.
public struct SessionTokens: Sendable, Equatable {
    public let accessToken: String
    public let refreshToken: String
    /// Access-token lifetime in seconds.
    public let expiresIn: Int
}

/// What a correct email and password lead to.
public enum SignInResult: Sendable, Equatable {
    case session(SessionTokens)
    /// TOTP is enabled: complete with `completeSignIn(challenge:code:)`.
    case totpRequired(challenge: String, expiresIn: Int)
}

/// Token prefixes (docs/API.md).
enum TokenPrefix {
    static let access = "cda_"
    static let refresh = "cdr_"
    static let apiToken = "cdt_"
    static let challenge = "cdc_"
    static let passwordReset = "cdp_"
}
