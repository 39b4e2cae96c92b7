import ConduitCore
import ConduitSMTP
import ConduitStore
import Foundation
import Testing
@testable import ConduitIngress

/// The account storage quota at ingress: 452 4.2.2 at RCPT for a full
/// account, after DATA for a message that would overfill it, and never for
/// another account's recipients in the same transaction.
@Suite struct IngressQuotaTests {
    /// `IngressSessionTests.message`'s body size.
    static let bodySize = 66

    static func setUp(_ f: IngressSessionTests.Fixture) throws -> (full: Webhook, other: Webhook) {
        let (_, plain) = try IngressSessionTests.setUp(f)
        let other = Webhook(
            id: Identifier.generate().rawValue, accountID: "acct2", address: "other@pub.example", targetURL: "https://r.example/",
            secret: "whsec_x", customHeaders: [:], payloadTemplate: nil, rateLimit: 0, active: true,
            smtpSecurityPolicyID: nil, createdAt: Date()
        )
        try f.store.write { try $0.insert(other) }
        return (plain, other)
    }

    static func usage(_ f: IngressSessionTests.Fixture, _ account: String) throws -> Int {
        try f.store.read { try $0.spoolUsage(accountID: account) }
    }

    @Test func aFullAccountIsRefusedAtRCPTAndTheOtherAccountIsNot() async throws {
        let f = try IngressSessionTests.Fixture(accountQuotaBytes: SpoolUsage.charge(bodySize: Self.bodySize))
        let (full, other) = try Self.setUp(f)
        let first = await IngressSessionTests.run(f, rcpts: ["plain@pub.example"])
        #expect(first.rcpt == [250] && first.data.code == 250)
        #expect(try Self.usage(f, full.accountID) == SpoolUsage.charge(bodySize: Self.bodySize))

        let second = await IngressSessionTests.run(f, rcpts: ["plain@pub.example", "other@pub.example"])
        #expect(second.rcpt == [452, 250])
        #expect(second.data.code == 250)
        let spooled = try f.store.read { try $0.get(SpooledMessage.self, id: second.id) }
        #expect(spooled?.recipients.map(\.webhookID) == [other.id])
        #expect(try Self.usage(f, full.accountID) == SpoolUsage.charge(bodySize: Self.bodySize))
    }

    @Test func aMessageThatWouldOverfillTheAccountIsRefusedAfterData() async throws {
        // Room for one message, then room for an empty one but not for a second of the same size.
        let f = try IngressSessionTests.Fixture(
            accountQuotaBytes: SpoolUsage.charge(bodySize: Self.bodySize) + SpoolUsage.recordOverhead + 10
        )
        let (full, other) = try Self.setUp(f)
        _ = await IngressSessionTests.run(f, rcpts: ["plain@pub.example"])

        // Both accepted at RCPT (the account is not full yet); after DATA only the other account's copy is spooled.
        let mixed = await IngressSessionTests.run(f, rcpts: ["plain@pub.example", "other@pub.example"])
        #expect(mixed.rcpt == [250, 250])
        #expect(mixed.data.code == 250)
        let deliveries = try f.store.read { try $0.deliveries(ofMessage: mixed.id) }
        #expect(deliveries.map(\.webhookID) == [other.id])

        let alone = await IngressSessionTests.run(f, rcpts: ["plain@pub.example"])
        #expect(alone.rcpt == [250])
        #expect(alone.data.code == 452 && alone.data.enhanced == "4.2.2")
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: alone.id) } == nil)
        #expect(try Self.usage(f, full.accountID) == SpoolUsage.charge(bodySize: Self.bodySize))
    }

    @Test func withoutAQuotaNothingIsRefused() async throws {
        let f = try IngressSessionTests.Fixture()
        _ = try Self.setUp(f)
        for _ in 0..<3 {
            let result = await IngressSessionTests.run(f, rcpts: ["plain@pub.example"])
            #expect(result.data.code == 250)
        }
        #expect(try Self.usage(f, "acct") == 3 * SpoolUsage.charge(bodySize: Self.bodySize))
    }
}
