import ConduitCore
@testable import ConduitIdentity
import ConduitStore
import Foundation
import Synchronization
import Testing

/// The throttles of issue 12: sign-in (atomic, shared with password change
/// and account deletion), second-factor codes per account, reset mails.
@Suite struct IdentityThrottleTests {
    static func isTooManyAttempts(_ error: any Error) -> Bool {
        if case let .tooManyAttempts(retryAfter) = error as? IdentityError { return (1...900).contains(retryAfter) }
        return false
    }

    static func isTooManyCodes(_ error: any Error) -> Bool {
        if case let .tooManyCodes(retryAfter) = error as? IdentityError { return (1...900).contains(retryAfter) }
        return false
    }

    @Test func concurrentWrongSignInsGetAtMostFiveChecks() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        _ = try await f.identity.signUp(email: "burst@example.com", password: "password1")
        let identity = f.identity
        let outcomes = await withTaskGroup(of: String.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    do {
                        _ = try await identity.signIn(email: "burst@example.com", password: "wrong-pass")
                        return "signed in"
                    } catch let error as IdentityError {
                        if error == .invalidCredentials { return "401" }
                        return Self.isTooManyAttempts(error) ? "429" : "\(error)"
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "401" }.count <= 5)
        #expect(outcomes.filter { $0 == "429" }.count >= 45)
        #expect(outcomes.allSatisfy { $0 == "401" || $0 == "429" })
        await #expect { try await f.identity.signIn(email: "burst@example.com", password: "password1") } throws: { Self.isTooManyAttempts($0) }
    }

    @Test func aRightPasswordForgivesItsReservedAttempt() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        _ = try await f.identity.signUp(email: "ok@example.com", password: "password1")
        // Many right sign-ins in a row never lock the account: each reserved
        // attempt is cleared once the password checked out.
        for _ in 0..<8 {
            guard case .session = try await f.identity.signIn(email: "ok@example.com", password: "password1") else {
                Issue.record("no session")
                return
            }
        }
    }

    @Test func wrongCurrentPasswordsCountInTheSignInThrottle() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, _) = try await f.session("change@example.com")
        for _ in 0..<3 {
            await #expect(throws: IdentityError.invalidCredentials) {
                try await f.identity.changePassword(principal, current: "wrong-pass", new: "new password 1")
            }
        }
        for _ in 0..<2 {
            await #expect(throws: IdentityError.invalidCredentials) {
                try await f.identity.deleteAccount(principal, password: "wrong-pass", confirm: true)
            }
        }
        // Five wrong passwords through the session: sign-in, password change
        // and deletion are all closed, even with the right password.
        await #expect { try await f.identity.signIn(email: "change@example.com", password: "password1") } throws: { Self.isTooManyAttempts($0) }
        await #expect { try await f.identity.changePassword(principal, current: "password1", new: "new password 1") } throws: { Self.isTooManyAttempts($0) }
        await #expect { try await f.identity.deleteAccount(principal, password: "password1", confirm: true) } throws: { Self.isTooManyAttempts($0) }
    }

    @Test func apiTokensCannotChangeCredentials() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (session, _) = try await f.session("token@example.com")
        let created = try f.identity.createAPIToken(session, name: "script", allowedIPs: nil, expiresIn: nil)
        let token = try f.identity.authenticate(bearer: try #require(created.token), peer: nil)
        #expect(!token.isSession)

        #expect(throws: IdentityError.sessionRequired) { try f.identity.createAPIToken(token, name: "minted", allowedIPs: nil, expiresIn: nil) }
        #expect(throws: IdentityError.sessionRequired) { try f.identity.deleteAPIToken(token, id: created.record.id) }
        #expect(throws: IdentityError.sessionRequired) { try f.identity.setupTOTP(token) }
        #expect(throws: IdentityError.sessionRequired) { try f.identity.enableTOTP(token, code: "123456") }
        #expect(throws: IdentityError.sessionRequired) { try f.identity.regenerateBackupCodes(token, code: "123456") }
        #expect(throws: IdentityError.sessionRequired) { try f.identity.disableTOTP(token, code: "123456") }
        await #expect(throws: IdentityError.sessionRequired) { try await f.identity.changePassword(token, current: "password1", new: "new password 1") }
        await #expect(throws: IdentityError.sessionRequired) { try await f.identity.deleteAccount(token, password: "password1", confirm: true) }

        // Listing stays allowed (no secrets), and nothing above changed anything.
        #expect(try f.identity.listAPITokens(token).map(\.record.id) == [created.record.id])
        #expect(try f.identity.currentAccount(token).totp == nil)
        guard case .session = try await f.identity.signIn(email: "token@example.com", password: "password1") else {
            Issue.record("password changed through an API token")
            return
        }
    }

    /// Enables TOTP for a new account; returns its session and generator.
    func enrolled(_ f: Fixture, _ email: String) async throws -> (Principal, TOTP) {
        let (principal, _) = try await f.session(email)
        let setup = try f.identity.setupTOTP(principal)
        let totp = TOTP(secret: try #require(Base32.decode(setup.secret)))
        _ = try f.identity.enableTOTP(principal, code: totp.code(at: Int64(Date().timeIntervalSince1970)))
        return (principal, totp)
    }

    func challenge(_ f: Fixture, _ email: String) async throws -> String {
        guard case let .totpRequired(challenge, _) = try await f.identity.signIn(email: email, password: "password1") else {
            throw IdentityError.invalidToken
        }
        return challenge
    }

    @Test func secondFactorGuessesAreThrottledPerAccountOverChallenges() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, totp) = try await enrolled(f, "guess@example.com")
        // Four guesses on one challenge, one on a fresh one: five in all.
        let first = try await challenge(f, "guess@example.com")
        for _ in 0..<4 {
            #expect(throws: IdentityError.invalidTOTP) { try f.identity.completeSignIn(challenge: first, code: "000000x") }
        }
        let second = try await challenge(f, "guess@example.com")
        #expect(throws: IdentityError.invalidTOTP) { try f.identity.completeSignIn(challenge: second, code: "000000x") }

        // Now even a right code (the next step, never used) is refused, on
        // any challenge, and so are disabling and regenerating.
        let next = totp.code(step: totp.step(at: Int64(Date().timeIntervalSince1970)) + 1)
        let third = try await challenge(f, "guess@example.com")
        #expect { try f.identity.completeSignIn(challenge: third, code: next) } throws: { Self.isTooManyCodes($0) }
        #expect { try f.identity.disableTOTP(principal, code: next) } throws: { Self.isTooManyCodes($0) }
        #expect { try f.identity.regenerateBackupCodes(principal, code: next) } throws: { Self.isTooManyCodes($0) }
        #expect(try f.identity.currentAccount(principal).totp != nil)
    }

    @Test func wrongCodesOnDisableAndRegenerateCountToo() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (principal, totp) = try await enrolled(f, "settings@example.com")
        for _ in 0..<3 {
            #expect(throws: IdentityError.invalidTOTP) { try f.identity.disableTOTP(principal, code: "0000-0000-0000-0000") }
        }
        for _ in 0..<2 {
            #expect(throws: IdentityError.invalidTOTP) { try f.identity.regenerateBackupCodes(principal, code: "000000x") }
        }
        let next = totp.code(step: totp.step(at: Int64(Date().timeIntervalSince1970)) + 1)
        let pending = try await challenge(f, "settings@example.com")
        #expect { try f.identity.completeSignIn(challenge: pending, code: next) } throws: { Self.isTooManyCodes($0) }
    }

    @Test func aRightCodeBelowTheLimitResetsTheCount() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        let (_, totp) = try await enrolled(f, "reset-count@example.com")
        let first = try await challenge(f, "reset-count@example.com")
        for _ in 0..<4 {
            #expect(throws: IdentityError.invalidTOTP) { try f.identity.completeSignIn(challenge: first, code: "000000x") }
        }
        let step = totp.step(at: Int64(Date().timeIntervalSince1970))
        _ = try f.identity.completeSignIn(challenge: first, code: totp.code(step: step + 1))
        let second = try await challenge(f, "reset-count@example.com")
        #expect(throws: IdentityError.invalidTOTP) { try f.identity.completeSignIn(challenge: second, code: "000000x") }
        #expect(throws: IdentityError.invalidTOTP) { try f.identity.completeSignIn(challenge: second, code: "000000x") }
    }

    @Test func passwordResetMailsAreCappedPerEmail() async throws {
        let f = try Fixture()
        defer { f.cleanup() }
        _ = try await f.session("flood@example.com")
        // Eight requests at once, each the work `requestPasswordReset` starts
        // in a task of its own; awaiting them all is the signal that every one
        // has been decided, so no count is read while some are still running.
        await withTaskGroup(of: Void.self) { group in
            let identity = f.identity
            for _ in 0..<8 { group.addTask { await identity.sendPasswordReset(email: "Flood@example.com") } }
        }
        #expect(f.mail.sent.withLock { $0.count } == 5)
    }
}
