import ConduitCore
import ConduitDNS
import ConduitSMTP
import ConduitStore
import Foundation
import Logging
import Testing
@testable import ConduitIngress

/// SMTP AUTH in the backend over a real store: one policy per user name
/// (issue 12, item 6), the process's one scrypt pool, and STARTTLS
/// discarding AUTH (RFC 3207 §4.2, item 12).
@Suite struct IngressAuthTests {
    static let hasher = PasswordHasher(parameters: Scrypt(n: 1 << 10, r: 8, p: 1))

    /// A store with a public domain, a policy requiring AUTH with user
    /// `relay`, and `guarded@pub.example` behind it.
    static func fixture() throws -> (IngressSessionTests.Fixture, SMTPSecurityPolicy) {
        let f = try IngressSessionTests.Fixture()
        let now = Date()
        var policy = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: "acct", name: "auth", createdAt: now)
        policy.requireSMTPAuth = true
        policy.credentials = [SMTPCredential(username: "relay", passwordHash: try hasher.hash("right password"))]
        let hook = Webhook(id: Identifier.generate().rawValue, accountID: "acct", address: "guarded@pub.example", targetURL: "https://r.example/",
                           secret: "whsec_x", customHeaders: [:], payloadTemplate: nil, rateLimit: 0, active: true,
                           smtpSecurityPolicyID: policy.id, createdAt: now)
        try f.store.write { txn in
            try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: nil, name: "pub.example",
                                  verificationToken: nil, verified: true, isPublic: true, createdAt: now))
            try txn.insert(policy)
            try txn.insert(hook)
        }
        return (f, policy)
    }

    static let guarded = SMTPMailbox(localPart: "guarded", domain: "pub.example")
    static let sender = SMTPMailbox(localPart: "s", domain: "example.org")

    @Test func authFindsTheOnePolicyOfAUserName() async throws {
        let (f, policy) = try Self.fixture()
        let checker = f.backend.credentials
        #expect(try await checker.policies(username: "relay", password: "right password") == [policy.id])
        #expect(try await checker.policies(username: "relay", password: "wrong password") == [])
        #expect(try await checker.policies(username: "nobody", password: "right password") == [])
        #expect(try await checker.policies(username: "re\u{0}lay", password: "right password") == [])
    }

    @Test func anAuthCostsOneScryptCheckWhateverTheOutcome() async throws {
        let (f, _) = try Self.fixture()
        // A pool of its own, so tests running beside this one do not count.
        let pool = BlockingWork(width: 2)
        let checker = CredentialChecker(store: f.store, work: pool)
        // The decoy hash is made once, in the pool, when the checker starts:
        // let that happen before counting.
        _ = try await checker.policies(username: "warm-up", password: "x")
        for (user, password) in [("relay", "right password"), ("relay", "wrong password"), ("nobody", "any password")] {
            let before = await pool.jobsStarted
            _ = try await checker.policies(username: user, password: password)
            #expect(await pool.jobsStarted - before == 1, "\(user)")
        }
    }

    @Test func everyScryptUserSharesOnePool() throws {
        let (f, _) = try Self.fixture()
        #expect(f.backend.credentials.work === BlockingWork.scrypt)
    }

    @Test func authenticatedRecipientIsAccepted() async throws {
        let (f, _) = try Self.fixture()
        let session = LoopSession(f.backend)
        #expect(await session.authenticate(username: "relay", password: "right password").code == 235)
        _ = await session.mail(from: Self.sender, parameters: .init(), context: SMTPTransactionContext(helo: "c.example", tls: false, authUser: "relay"))
        #expect(await session.rcpt(to: Self.guarded).code == 250)
    }

    @Test func startTLSDiscardsTheBackendsAuth() async throws {
        let (f, _) = try Self.fixture()
        let session = LoopSession(f.backend)
        #expect(await session.authenticate(username: "relay", password: "right password").code == 235)
        await session.tlsStarted()
        // Even a protocol side that (wrongly) still named the user grants nothing now.
        _ = await session.mail(from: Self.sender, parameters: .init(), context: SMTPTransactionContext(helo: "c.example", tls: true, authUser: "relay"))
        let reply = await session.rcpt(to: Self.guarded)
        #expect(reply.code == 530 && reply.enhanced == "5.7.0")
        // AUTH inside TLS works again.
        #expect(await session.authenticate(username: "relay", password: "right password").code == 235)
        _ = await session.mail(from: Self.sender, parameters: .init(), context: SMTPTransactionContext(helo: "c.example", tls: true, authUser: "relay"))
        #expect(await session.rcpt(to: Self.guarded).code == 250)
    }

    @Test func aTransactionWithoutAnAuthUserHasNoAuth() async throws {
        let (f, _) = try Self.fixture()
        let session = LoopSession(f.backend)
        #expect(await session.authenticate(username: "relay", password: "right password").code == 235)
        _ = await session.mail(from: Self.sender, parameters: .init(), context: SMTPTransactionContext(helo: "c.example", tls: true, authUser: nil))
        #expect(await session.rcpt(to: Self.guarded).code == 530)
    }
}
