public import ConduitCore
import ConduitStore
import Foundation
import Logging

extension IdentityService {
    /// Resolves a bearer token (session access token or API token) to the
    /// account it acts for. `peer` is checked against an API token's allowed
    /// IPs, and asked for only when the token has some.
    ///
    /// The record comes from the credential cache when this process has
    /// read it since the last write to sessions, API tokens or accounts
    /// (`CredentialCache`); expiry, allowed IPs and `last_used_at` are
    /// checked on every call either way.
    public func authenticate(bearer token: String, peer: @autoclosure () -> IPAddress?) throws -> Principal {
        let isSession = SecretToken.isWellFormed(token, prefix: TokenPrefix.access)
        guard isSession || SecretToken.isWellFormed(token, prefix: TokenPrefix.apiToken) else {
            throw IdentityError.unauthorized
        }
        let when = now()
        let hash = SecretToken.hash(token)
        let credential: CachedCredential
        if let cached = credentials.credential(forHash: hash) {
            credential = cached
        } else {
            // Taken before the read: a write committing after it makes the
            // cache refuse what the read returns (StoreWatch).
            let generation = credentials.generation
            let found: CachedCredential? = try read { txn in
                if isSession {
                    return try txn.lookup(Session.self, index: .byAccess, key: hash).map(CachedCredential.init(session:))
                }
                return try txn.lookup(APIToken.self, index: .byHash, key: hash).map(CachedCredential.init(apiToken:))
            }
            guard let found else { throw IdentityError.unauthorized }
            credentials.insert(found, forHash: hash, readAt: generation)
            credential = found
        }
        if let expiresAt = credential.expiresAt, expiresAt <= when { throw IdentityError.unauthorized }
        guard case let .apiToken(id) = credential.principal.credential else { return credential.principal }
        if let networks = credential.allowedNetworks {
            let address = peer()
            guard let address, networks.contains(where: { $0.contains(address) }) else {
                logger.notice("API token used from a disallowed address", metadata: ["token": "\(id)", "peer": "\(address.map(\.description) ?? "unknown")"])
                throw IdentityError.unauthorized
            }
        }
        if credential.lastUsedAt.map({ when.timeIntervalSince($0) >= 60 }) ?? true {
            // At most one write a minute per token, whatever the request rate.
            // The write empties the credential cache, so the next request
            // reads the new `last_used_at`.
            try? write { txn in
                guard var fresh = try txn.reader.get(APIToken.self, id: id) else { return }
                fresh.lastUsedAt = when
                try txn.update(fresh)
            }
        }
        return credential.principal
    }
}
