import ConduitCore
@testable import ConduitIdentity
import ConduitStore
import Foundation
import Logging
import Testing

/// The credential cache of `authenticate`: a token it has seen is served from
/// memory, but every revocation is seen by the next request, and expiry and
/// allowed IPs are checked on every request.
@Suite struct CredentialCacheTests {
    @Test func aRevokedAPITokenFailsOnTheNextRequest() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, _) = try await f.session()
        let view = try f.identity.createAPIToken(principal, name: "ci", allowedIPs: nil, expiresIn: nil)
        let token = try #require(view.token)
        _ = try f.identity.authenticate(bearer: token, peer: nil)
        _ = try f.identity.authenticate(bearer: token, peer: nil)
        #expect(f.identity.credentials.count >= 1)
        try f.identity.deleteAPIToken(principal, id: view.record.id)
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: token, peer: nil) }
    }

    @Test func aSignedOutSessionFailsOnTheNextRequest() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, tokens) = try await f.session()
        _ = try f.identity.authenticate(bearer: tokens.accessToken, peer: nil)
        #expect(f.identity.credentials.count == 1)
        try f.identity.signOut(principal, refreshToken: nil)
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: tokens.accessToken, peer: nil) }
    }

    @Test func expiryIsCheckedOnEveryUseOfACachedToken() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        f.clock.freeze()  // the token ages only when the test says so
        let (principal, _) = try await f.session()
        let token = try #require(try f.identity.createAPIToken(principal, name: "short", allowedIPs: nil, expiresIn: 2).token)
        _ = try f.identity.authenticate(bearer: token, peer: nil)
        f.clock.advance(seconds: 1)
        _ = try f.identity.authenticate(bearer: token, peer: nil)  // a second before its expiry: still valid
        f.clock.advance(seconds: 2)
        let generation = f.identity.credentials.generation
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: token, peer: nil) }
        // Refused from the cache: no write came between, the entry is still there.
        #expect(f.identity.credentials.generation == generation)
        #expect(f.identity.credentials.count >= 1)
    }

    @Test func lastUsedIsStillRecordedOnceAMinute() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, _) = try await f.session()
        let view = try f.identity.createAPIToken(principal, name: "ci", allowedIPs: nil, expiresIn: nil)
        let token = try #require(view.token)
        let before = f.identity.credentials.generation
        for _ in 0..<5 { _ = try f.identity.authenticate(bearer: token, peer: nil) }
        // One write (the first use), then served from the cache.
        #expect(f.identity.credentials.generation == before + 1)
        #expect(try f.identity.listAPITokens(principal).first?.record.lastUsedAt != nil)
        #expect(f.identity.credentials.count >= 1)
    }

    @Test func anUnknownTokenIsNotKept() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let bogus = SecretToken.generate(prefix: TokenPrefix.apiToken)
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: bogus, peer: nil) }
        #expect(f.identity.credentials.count == 0)
    }

    @Test func aRecordReadBeforeAWatchedWriteIsNotKept() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, tokens) = try await f.session()
        let cache = f.identity.credentials
        // A read that began before a revoke committed must not be kept after it.
        let generation = cache.generation
        _ = try f.identity.createAPIToken(principal, name: "other", allowedIPs: nil, expiresIn: nil)
        let stale = CachedCredential(session: Session(
            id: "s", accountID: principal.accountID, accessTokenHash: SecretToken.hash(tokens.accessToken),
            accessExpiresAt: .distantFuture, refreshTokenHash: "", refreshExpiresAt: .distantFuture, createdAt: Date()
        ))
        cache.insert(stale, forHash: "h", readAt: generation)
        #expect(cache.credential(forHash: "h") == nil)
        cache.insert(stale, forHash: "h", readAt: cache.generation)
        #expect(cache.credential(forHash: "h") != nil)
    }

    @Test func theCacheIsBounded() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, _) = try await f.session()
        let cache = CredentialCache(watch: f.store.watch([Session.self]), capacity: 2)
        let credential = CachedCredential(apiToken: APIToken(
            id: "t", accountID: principal.accountID, name: "n", tokenHash: "x", allowedIPs: [], expiresAt: nil, createdAt: Date()
        ))
        for hash in ["a", "b", "c", "d", "e"] {
            cache.insert(credential, forHash: hash, readAt: cache.generation)
            #expect(cache.count <= 2)
            #expect(cache.credential(forHash: hash) != nil)
        }
        let off = CredentialCache(watch: f.store.watch([Session.self]), capacity: 0)
        off.insert(credential, forHash: "a", readAt: off.generation)
        #expect(off.count == 0)
    }

    @Test func theCacheCanBeTurnedOff() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let identity = try IdentityService(
            store: f.store, settings: IdentitySettings(totpIssuer: "Conduit", publicURL: "https://conduit.test", mailFrom: "c@conduit.test"),
            mailer: f.mail, logger: Logger(label: "test"),
            hasher: PasswordHasher(parameters: Scrypt(n: 1 << 10, r: 8, p: 1)), credentialCacheSize: 0
        )
        let (principal, tokens) = try await f.session()
        #expect(try identity.authenticate(bearer: tokens.accessToken, peer: nil) == principal)
        #expect(identity.credentials.count == 0)
    }
}
