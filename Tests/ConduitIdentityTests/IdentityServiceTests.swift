import ConduitCore
import ConduitIdentity
import ConduitStore
import Foundation
import Logging
import Synchronization
import Testing

/// Records mail instead of sending it.
final class MailSpy: Mailer {
    let sent = Mutex<[OutgoingMail]>([])
    func send(_ mail: OutgoingMail) async throws { sent.withLock { $0.append(mail) } }
}

/// The service's wall clock in tests: real time plus whatever a test added,
/// or, once frozen, a time that moves only when a test advances it. Expiry
/// is tested by advancing it, never by sleeping past a real lifetime (which
/// a loaded machine stretches at both ends).
final class ManualClock: Sendable {
    private struct State { var frozen: Date?; var offset: TimeInterval }
    private let state = Mutex(State(frozen: nil, offset: 0))
    var now: Date { state.withLock { $0.frozen ?? Date().addingTimeInterval($0.offset) } }
    /// Stops the clock at the current time.
    func freeze() { state.withLock { $0.frozen = $0.frozen ?? Date().addingTimeInterval($0.offset) } }
    func advance(seconds: TimeInterval) {
        state.withLock { state in
            if let frozen = state.frozen { state.frozen = frozen.addingTimeInterval(seconds) } else { state.offset += seconds }
        }
    }
}

/// Polls `condition` until it holds or `patience` (real time, generous on
/// purpose: it only ends a broken run) has passed; returns whether it held.
func eventually(patience: Duration = .seconds(60), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + patience
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// The service over a real store in a temporary directory, with cheap scrypt
/// parameters (the production ones are tested in ConduitCoreTests).
struct Fixture {
    let directory: String
    let store: Store
    let identity: IdentityService
    let mail = MailSpy()
    /// The service's wall clock: real time until a test freezes it.
    let clock = ManualClock()

    init(configure: (inout IdentitySettings) -> Void = { _ in }) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("conduit-identity-\(UUID().uuidString)").path
        store = try Store(path: directory, mapSizeBytes: 64 << 20, schema: Schema(version: 1, records: IdentityService.recordTypes))
        var settings = IdentitySettings(totpIssuer: "Conduit", publicURL: "https://conduit.test", mailFrom: "conduit@conduit.test")
        configure(&settings)
        identity = try IdentityService(
            store: store, settings: settings, mailer: mail, logger: Logger(label: "test"),
            hasher: PasswordHasher(parameters: Scrypt(n: 1 << 10, r: 8, p: 1)), clock: { [clock] in clock.now }
        )
    }

    func cleanup() {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    func session(_ email: String = "a@example.com", password: String = "password1") async throws -> (Principal, SessionTokens) {
        _ = try await identity.signUp(email: email, password: password)
        guard case let .session(tokens) = try await identity.signIn(email: email, password: password) else {
            throw IdentityError.invalidCredentials
        }
        return (try identity.authenticate(bearer: tokens.accessToken, peer: nil), tokens)
    }
}

@Suite struct IdentityServiceTests {
    @Test func replayedRefreshTokenRevokesTheSession() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (_, first) = try await f.session()
        let second = try f.identity.refresh(refreshToken: first.refreshToken)
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: first.accessToken, peer: nil) }
        _ = try f.identity.authenticate(bearer: second.accessToken, peer: nil)
        #expect(throws: IdentityError.invalidToken) { try f.identity.refresh(refreshToken: first.refreshToken) }
        // The replay killed the whole session, including the current tokens.
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: second.accessToken, peer: nil) }
        #expect(throws: IdentityError.invalidToken) { try f.identity.refresh(refreshToken: second.refreshToken) }
    }

    @Test func fifthFailureThrottlesEvenTheRightPassword() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        _ = try await f.identity.signUp(email: "t@example.com", password: "password1")
        for _ in 0..<5 {
            await #expect(throws: IdentityError.invalidCredentials) { try await f.identity.signIn(email: "t@example.com", password: "wrong-pass") }
        }
        await #expect {
            try await f.identity.signIn(email: "T@Example.com", password: "password1")
        } throws: { error in
            guard case let .tooManyAttempts(retryAfter) = error as? IdentityError else { return false }
            return (1...900).contains(retryAfter)
        }
    }

    @Test func expiredRecordsAreRemoved() async throws {
        // The service's clock is frozen until advanced: the scrypt hash of
        // signing in cannot age the tokens, however loaded the machine.
        let f = try Fixture { settings in
            settings.accessTokenLifetime = 5
            settings.refreshTokenLifetime = 5
        }
        defer { f.cleanup() }
        f.clock.freeze()
        let (principal, tokens) = try await f.session()
        _ = try f.identity.createAPIToken(principal, name: "short", allowedIPs: nil, expiresIn: 5)
        _ = try f.identity.createAPIToken(principal, name: "forever", allowedIPs: nil, expiresIn: nil)
        #expect(try f.identity.removeExpired() == 0)
        f.clock.advance(seconds: 4)  // within the lifetimes: nothing expired yet
        #expect(try f.identity.removeExpired() == 0)
        f.clock.advance(seconds: 2)
        #expect(try f.identity.removeExpired() == 2)
        #expect(try f.identity.listAPITokens(principal).map(\.record.name) == ["forever"])
        #expect(throws: IdentityError.invalidToken) { try f.identity.refresh(refreshToken: tokens.refreshToken) }
    }

    @Test func apiTokenAllowedIPsAreEnforced() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, _) = try await f.session()
        let token = try #require(try f.identity.createAPIToken(principal, name: "ci", allowedIPs: ["10.0.0.0/8", "2001:db8::/32"], expiresIn: nil).token)
        _ = try f.identity.authenticate(bearer: token, peer: IPAddress("10.1.2.3"))
        _ = try f.identity.authenticate(bearer: token, peer: IPAddress("::ffff:10.9.9.9"))
        _ = try f.identity.authenticate(bearer: token, peer: IPAddress("2001:db8::5"))
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: token, peer: IPAddress("192.0.2.1")) }
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: token, peer: nil) }
    }

    @Test func deletingAnAccountRemovesWhatItOwns() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, tokens) = try await f.session()
        let (other, _) = try await f.session("b@example.com")
        _ = try f.identity.createAPIToken(principal, name: "mine", allowedIPs: nil, expiresIn: nil)
        _ = try f.identity.createAPIToken(other, name: "theirs", allowedIPs: nil, expiresIn: nil)
        try await f.identity.deleteAccount(principal, password: "password1", confirm: true)
        #expect(throws: IdentityError.unauthorized) { try f.identity.authenticate(bearer: tokens.accessToken, peer: nil) }
        let (sessions, apiTokens, accounts) = try f.store.read { txn in
            (try txn.count(Session.self), try txn.count(APIToken.self), try txn.count(Account.self))
        }
        #expect(accounts == 1)
        #expect(sessions == 1)
        #expect(apiTokens == 1)
        #expect(try f.identity.listAPITokens(other).map(\.record.name) == ["theirs"])
    }

    @Test func passwordResetMailCarriesASingleUseLink() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        _ = try await f.session("r@example.com")
        f.identity.requestPasswordReset(email: "R@example.com")
        // The mail is sent by a task of its own: wait for it, not for a time.
        let sent = try await eventually { !f.mail.sent.withLock { $0.isEmpty } }
        #expect(sent)
        let mail = try #require(f.mail.sent.withLock { $0.first })
        #expect(mail.to == "r@example.com")
        let token = try #require(mail.body.split(separator: "=").last.map { String($0.prefix(47)) })
        #expect(token.hasPrefix("cdp_"))
        await #expect(throws: IdentityError.invalidPassword) { try await f.identity.confirmPasswordReset(token: token, newPassword: "short") }
        try await f.identity.confirmPasswordReset(token: token, newPassword: "brand new password")
        await #expect(throws: IdentityError.invalidToken) { try await f.identity.confirmPasswordReset(token: token, newPassword: "another password") }
        guard case .session = try await f.identity.signIn(email: "r@example.com", password: "brand new password") else {
            Issue.record("sign-in with the new password failed")
            return
        }
    }
}
