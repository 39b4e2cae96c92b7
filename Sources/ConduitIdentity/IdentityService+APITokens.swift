import Logging
public import ConduitCore
import ConduitStore
import Foundation

/// An API token as listed; `token` is set only right after creation.
public struct APITokenView: Sendable, Equatable {
    public let record: APIToken
    public let token: String?
}

extension IdentityService {
    static let maxAllowedIPs = 50
    static let maxExpiresIn = 315_360_000

    /// Needs a session: an API token cannot mint another (docs/API.md).
    public func createAPIToken(_ principal: Principal, name: String, allowedIPs: [String]?, expiresIn: Int?) throws -> APITokenView {
        try requireSession(principal)
        let trimmed = try Self.tokenName(name)
        let ips = allowedIPs ?? []
        guard ips.count <= Self.maxAllowedIPs else { throw IdentityError.invalidIP("at most \(Self.maxAllowedIPs) entries") }
        var canonical: [String] = []
        for ip in ips {
            guard let cidr = CIDR(ip.trimmingCharacters(in: .whitespaces)) else { throw IdentityError.invalidIP(ip) }
            if !canonical.contains(cidr.description) { canonical.append(cidr.description) }
        }
        if let expiresIn, !(1...Self.maxExpiresIn).contains(expiresIn) { throw IdentityError.invalidExpiresIn }
        let when = now()
        let token = SecretToken.generate(prefix: TokenPrefix.apiToken)
        let record = APIToken(
            id: Identifier.generate().rawValue, accountID: principal.accountID, name: trimmed,
            tokenHash: SecretToken.hash(token), allowedIPs: canonical,
            expiresAt: expiresIn.map { when.addingTimeInterval(TimeInterval($0)) }, createdAt: when
        )
        let limit = settings.maxAPITokensPerAccount
        try write { txn in
            let existing = try txn.reader.list(APIToken.self, index: .byAccount, key: principal.accountID, limit: limit)
            guard existing.count < limit else { throw IdentityError.tooManyTokens(limit: limit) }
            try txn.insert(record)
        }
        logger.info("API token created", metadata: ["account": "\(principal.accountID)", "token": "\(record.id)"])
        return APITokenView(record: record, token: token)
    }

    /// The caller's tokens, newest first, without their secrets. Allowed with
    /// an API token too: it shows no secret and lets a script audit its keys.
    public func listAPITokens(_ principal: Principal) throws -> [APITokenView] {
        try read { try $0.list(APIToken.self, index: .byAccount, key: principal.accountID, newestFirst: true) }
            .map { APITokenView(record: $0, token: nil) }
    }

    /// Revokes one of the caller's tokens; another account's id is `notFound`.
    public func deleteAPIToken(_ principal: Principal, id: String) throws {
        try requireSession(principal)
        guard Identifier(id) != nil else { throw IdentityError.notFound }
        try write { txn in
            guard let token = try txn.reader.get(APIToken.self, id: id), token.accountID == principal.accountID else {
                throw IdentityError.notFound
            }
            try txn.delete(APIToken.self, id: id)
        }
        logger.info("API token revoked", metadata: ["account": "\(principal.accountID)", "token": "\(id)"])
    }
}

extension IdentityService {
    /// A token's name, trimmed: at most 100 Unicode code points as sent —
    /// what JSON Schema's `maxLength` counts in openapi.json, not grapheme
    /// clusters, and before trimming —, not only white space, on one line.
    static func tokenName(_ name: String) throws(IdentityError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name.unicodeScalars.count <= 100, !trimmed.isEmpty, !trimmed.contains(where: { $0.isNewline }) else { throw IdentityError.invalidName }
        return trimmed
    }
}
