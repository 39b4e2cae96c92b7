public import Foundation

/// A mail domain: claimed by an account and proven by a DNS TXT record, or
/// public (from `[smtp] public_domains`, usable by every account).
public struct Domain: Codable, Sendable, Equatable {
    public var id: String
    /// The claiming account; nil for public domains.
    public var accountID: String?
    /// Normalized A-label form.
    public var name: String
    /// Expected at `_conduit.<name>` as `conduit-verification=<token>`; nil for public domains.
    public var verificationToken: String?
    public var verified: Bool
    public var isPublic: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, accountID: String?, name: String, verificationToken: String?, verified: Bool, isPublic: Bool, createdAt: Date) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.verificationToken = verificationToken
        self.verified = verified
        self.isPublic = isPublic
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }
}
