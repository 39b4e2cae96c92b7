import ConduitCore
import ConduitStore
import Foundation
import Logging
import Testing
@testable import ConduitWebhooks

/// Public domains are shared ground (issue 12, item 5): no account may take
/// a catch-all or a `+tag` address there, which would catch mail meant for
/// other accounts' addresses; on its own verified domain an account may.
@Suite struct PublicDomainAddressTests {
    final class Fixture {
        let directory: String
        let store: Store
        let webhooks: WebhookService

        init() throws {
            directory = PolicyUsernameTests.Fixture.temporaryDirectory()
            store = try Store(path: directory, mapSizeBytes: 16 << 20,
                              schema: Schema(version: 2, records: [Domain.self, Webhook.self, SMTPSecurityPolicy.self, DeliveryLog.self]))
            webhooks = WebhookService(store: store, logger: Logger(label: "test"))
            try store.write { txn in
                try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: nil, name: "pub.example",
                                      verificationToken: nil, verified: true, isPublic: true, createdAt: Date()))
                try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: "acct", name: "own.example",
                                      verificationToken: "t", verified: true, isPublic: false, createdAt: Date()))
            }
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func create(_ address: String) throws -> Webhook {
            try webhooks.create(accountID: "acct", input: WebhookInput(address: address, targetURL: "https://r.example/hook"))
        }
    }

    static func code(_ body: () throws -> Webhook) -> String? {
        do {
            _ = try body()
            return nil
        } catch let ResourceError.invalid(code, _) {
            return code
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: ["*@pub.example", "alice+bank@pub.example", "+x@pub.example", "a+@PUB.example", "*@Pub.Example"])
    func reservedOnAPublicDomain(_ address: String) throws {
        let f = try Fixture()
        #expect(Self.code { try f.create(address) } == "public_domain_reserved")
        #expect(try f.webhooks.list(accountID: "acct").isEmpty)
    }

    @Test func plainAddressesOnAPublicDomainAndAnythingOnAnOwnDomainAreFine() throws {
        let f = try Fixture()
        #expect(try f.create("alice@pub.example").address == "alice@pub.example")
        #expect(try f.create("*@own.example").address == "*@own.example")
        #expect(try f.create("alice+bank@own.example").address == "alice+bank@own.example")
    }

    @Test func anUpdateCannotMoveToAReservedAddress() throws {
        let f = try Fixture()
        let hook = try f.create("alice@pub.example")
        for address in ["*@pub.example", "alice+bank@pub.example"] {
            #expect(Self.code { try f.webhooks.update(accountID: "acct", id: hook.id, input: WebhookInput(address: address)) } == "public_domain_reserved")
        }
        #expect(try f.webhooks.get(accountID: "acct", id: hook.id).address == "alice@pub.example")
        // Other fields still change as before.
        #expect(try f.webhooks.update(accountID: "acct", id: hook.id, input: WebhookInput(active: false)).active == false)
    }
}
