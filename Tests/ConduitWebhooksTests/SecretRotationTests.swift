import ConduitCore
import ConduitStore
import Foundation
import Logging
import Testing
@testable import ConduitWebhooks

/// `rotate-secret` (docs/API.md, "Rotating a secret"): the new secret, the
/// previous one kept for `previous_valid_seconds`, bounds, rotating twice,
/// expiry, and what a `PUT` of `secret` does to a previous secret.
@Suite struct SecretRotationTests {
    typealias Fixture = PublicDomainAddressTests.Fixture

    static let given = "whsec_" + Data(Array(repeating: 9, count: 32)).base64EncodedString()

    static func code(_ body: () throws -> Webhook) -> String? {
        PublicDomainAddressTests.code(body)
    }

    @Test func defaultsGenerateASecretAndKeepTheOldOneADay() throws {
        let f = try Fixture()
        let hook = try f.create("alice@pub.example")
        let before = Date()
        let rotated = try f.webhooks.rotateSecret(accountID: "acct", id: hook.id, input: SecretRotationInput())
        #expect(rotated.secret != hook.secret)
        #expect(WebhookSignature.key(fromSecret: rotated.secret)?.count == 32)
        #expect(rotated.previousSecret == hook.secret)
        let expiry = try #require(rotated.previousSecretExpiresAt)
        // At least the promised day, rounded up to the whole second shown.
        #expect(expiry.timeIntervalSince(before) >= 86_400 && expiry.timeIntervalSince(before) <= 86_402)
        #expect(expiry.timeIntervalSince1970 == expiry.timeIntervalSince1970.rounded())
        #expect(rotated.previousSecret(at: Date()) == hook.secret)
        // Stored, not only answered.
        #expect(try f.webhooks.get(accountID: "acct", id: hook.id) == rotated)
    }

    @Test func aGivenSecretIsUsedAndValidated() throws {
        let f = try Fixture()
        let hook = try f.create("alice@pub.example")
        let rotated = try f.webhooks.rotateSecret(accountID: "acct", id: hook.id, input: SecretRotationInput(secret: Self.given))
        #expect(rotated.secret == Self.given && rotated.previousSecret == hook.secret)
        for bad in ["whsec_AAEC", "no-prefix", "whsec_not base64!", Self.given] {
            #expect(Self.code { try f.webhooks.rotateSecret(accountID: "acct", id: hook.id, input: SecretRotationInput(secret: bad)) } == "invalid_secret", "\(bad)")
        }
        #expect(try f.webhooks.get(accountID: "acct", id: hook.id) == rotated)
    }

    @Test(arguments: [-1, 604_801, Int.max, Int.min])
    func previousValidSecondsOutOfBoundsIs422(_ seconds: Int) throws {
        let f = try Fixture()
        let hook = try f.create("alice@pub.example")
        #expect(Self.code {
            try f.webhooks.rotateSecret(accountID: "acct", id: hook.id, input: SecretRotationInput(previousValidSeconds: seconds))
        } == "invalid_previous_valid_seconds")
        #expect(try f.webhooks.get(accountID: "acct", id: hook.id) == hook)
    }

    @Test func boundsAreInclusive() throws {
        let f = try Fixture()
        let hook = try f.create("alice@pub.example")
        let week = try f.webhooks.rotateSecret(accountID: "acct", id: hook.id, input: SecretRotationInput(previousValidSeconds: 604_800))
        #expect(try #require(week.previousSecretExpiresAt).timeIntervalSinceNow > 604_799)
        // 0: the old secret stops at once, and one left by a rotation before goes too.
        let now = try f.webhooks.rotateSecret(accountID: "acct", id: hook.id, input: SecretRotationInput(previousValidSeconds: 0))
        #expect(now.secret != week.secret)
        #expect(now.previousSecret == nil && now.previousSecretExpiresAt == nil)
    }

    @Test func rotatingTwiceKeepsOnlyTheSecretJustReplaced() throws {
        let f = try Fixture()
        let first = try f.create("alice@pub.example")
        let second = try f.webhooks.rotateSecret(accountID: "acct", id: first.id, input: SecretRotationInput(previousValidSeconds: 600))
        let third = try f.webhooks.rotateSecret(accountID: "acct", id: first.id, input: SecretRotationInput(previousValidSeconds: 60))
        #expect(third.previousSecret == second.secret)
        #expect(third.previousSecret != first.secret && third.secret != first.secret)
        let expiry = try #require(third.previousSecretExpiresAt).timeIntervalSinceNow
        #expect(expiry > 59 && expiry <= 61)
    }

    @Test func aPreviousSecretStopsAtItsExpiry() {
        var hook = Webhook(id: "w", accountID: "a", address: "a@x.example", targetURL: "https://r.example", secret: "whsec_old",
                           customHeaders: [:], payloadTemplate: nil, rateLimit: 0, active: true, smtpSecurityPolicyID: nil, createdAt: Date())
        let start = Date(timeIntervalSince1970: 1_800_000_000.25)
        SecretRotation.rotate(&hook, to: "whsec_new", previousValidSeconds: 2, now: start)
        let expiry = Date(timeIntervalSince1970: 1_800_000_003)
        #expect(hook.secret == "whsec_new" && hook.previousSecretExpiresAt == expiry)
        #expect(hook.previousSecret(at: start.addingTimeInterval(2)) == "whsec_old")
        #expect(hook.previousSecretExpiry(at: expiry.addingTimeInterval(-0.001)) == expiry)
        #expect(hook.previousSecret(at: expiry) == nil)
        #expect(hook.previousSecretExpiry(at: expiry) == nil)
    }

    @Test func unknownAndOtherAccountsWebhooksAreNotFound() throws {
        let f = try Fixture()
        let hook = try f.create("alice@pub.example")
        for (account, id) in [("other", hook.id), ("acct", Identifier.generate().rawValue), ("acct", "nonsense")] {
            #expect(throws: ResourceError.notFound) {
                try f.webhooks.rotateSecret(accountID: account, id: id, input: SecretRotationInput())
            }
        }
        #expect(try f.webhooks.get(accountID: "acct", id: hook.id) == hook)
    }

    @Test func aPutReplacingTheSecretDropsThePreviousOneAndTheSameSecretKeepsIt() throws {
        let f = try Fixture()
        let hook = try f.create("alice@pub.example")
        let rotated = try f.webhooks.rotateSecret(accountID: "acct", id: hook.id, input: SecretRotationInput())
        // A PUT of the fetched webhook sends its secret back: nothing changes.
        let same = try f.webhooks.update(accountID: "acct", id: hook.id, input: WebhookInput(secret: rotated.secret, rateLimit: 5))
        #expect(same.previousSecret == hook.secret && same.previousSecretExpiresAt == rotated.previousSecretExpiresAt)
        let other = try f.webhooks.update(accountID: "acct", id: hook.id, input: WebhookInput(secret: Self.given))
        #expect(other.secret == Self.given && other.previousSecret == nil && other.previousSecretExpiresAt == nil)
    }
}
