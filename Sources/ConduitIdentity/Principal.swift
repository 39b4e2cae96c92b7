import ConduitCore

/// Who a request acts for, after its bearer token was checked. Only
/// `IdentityService.authenticate` makes one.
public struct Principal: Sendable, Equatable {
    /// How the caller proved who it is.
    public enum Credential: Sendable, Equatable {
        case session(id: String)
        case apiToken(id: String)
    }

    public let accountID: String
    public let credential: Credential

    /// True for a signed-in session; false for an API token.
    public var isSession: Bool {
        if case .session = credential { true } else { false }
    }

    init(accountID: String, credential: Credential) {
        self.accountID = accountID
        self.credential = credential
    }
}
