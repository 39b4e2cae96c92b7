import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitIngress

/// Recipient resolution over a real LMDB store in a temporary directory.
@Suite struct RecipientResolverTests {
    final class Fixture {
        let directory: String
        let store: Store
        let now = Date(timeIntervalSince1970: 1_790_000_000)

        init() throws {
            var template = Array("/tmp/conduit-ingress-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(
                path: directory, mapSizeBytes: 16 << 20,
                schema: Schema(version: 1, records: [Domain.self, Webhook.self, SMTPSecurityPolicy.self])
            )
        }

        deinit {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func domain(_ name: String, account: String?, verified: Bool = true) throws {
            try store.write { txn in
                try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: account, name: name,
                                      verificationToken: account == nil ? nil : "t", verified: verified,
                                      isPublic: account == nil, createdAt: now))
            }
        }

        @discardableResult
        func webhook(_ address: String, account: String, active: Bool = true, policy: String? = nil) throws -> Webhook {
            let webhook = Webhook(id: Identifier.generate().rawValue, accountID: account, address: address,
                                  targetURL: "https://r.example/", secret: "whsec_x", customHeaders: [:],
                                  payloadTemplate: nil, rateLimit: 0, active: active, smtpSecurityPolicyID: policy, createdAt: now)
            try store.write { try $0.insert(webhook) }
            return webhook
        }

        func resolve(_ local: String, _ domain: String) throws -> RecipientResolver.Resolution {
            try store.read { try RecipientResolver.resolve(localPart: local, domain: domain, in: $0) }
        }
    }

    static func webhookID(_ resolution: RecipientResolver.Resolution) -> String? {
        if case let .found(webhook, _, _) = resolution { return webhook.id }
        return nil
    }

    static func tag(_ resolution: RecipientResolver.Resolution) -> String? {
        if case let .found(_, _, tag) = resolution { return tag }
        return nil
    }

    @Test func exactThenTagThenCatchAll() throws {
        let f = try Fixture()
        try f.domain("mail.example", account: "acct")
        let exact = try f.webhook("sales@mail.example", account: "acct")
        let tagged = try f.webhook("sales+eu@mail.example", account: "acct")
        let catchAll = try f.webhook("*@mail.example", account: "acct")

        #expect(Self.webhookID(try f.resolve("sales", "mail.example")) == exact.id)
        #expect(Self.webhookID(try f.resolve("SALES", "MAIL.Example")) == exact.id)
        // An address that exists with its +tag wins over the tag rule.
        #expect(Self.webhookID(try f.resolve("sales+eu", "mail.example")) == tagged.id)
        let viaTag = try f.resolve("sales+us", "mail.example")
        #expect(Self.webhookID(viaTag) == exact.id)
        #expect(Self.tag(viaTag) == "us")
        let caught = try f.resolve("other+x", "mail.example")
        #expect(Self.webhookID(caught) == catchAll.id)
        #expect(Self.tag(caught) == "x")
        #expect(Self.webhookID(try f.resolve("\"other\"", "mail.example")) == catchAll.id)
        #expect(Self.tag(try f.resolve("sales+", "mail.example")) == nil)
    }

    @Test func unknownInactiveAndUnservedDomains() throws {
        let f = try Fixture()
        try f.domain("mine.example", account: "acct")
        try f.domain("theirs.example", account: "someone-else")
        try f.domain("pending.example", account: "acct", verified: false)
        try f.domain("public.example", account: nil)
        try f.webhook("a@mine.example", account: "acct")
        try f.webhook("off@mine.example", account: "acct", active: false)
        // Webhooks whose domain is not (or no longer) the account's.
        try f.webhook("a@theirs.example", account: "acct")
        try f.webhook("a@pending.example", account: "acct")
        let onPublic = try f.webhook("a@public.example", account: "acct")

        #expect(try f.resolve("b", "mine.example") == .unknown)
        if case .inactive = try f.resolve("off", "mine.example") {} else { Issue.record("inactive expected") }
        #expect(try f.resolve("a", "theirs.example") == .unknown)
        #expect(try f.resolve("a", "pending.example") == .unknown)
        #expect(Self.webhookID(try f.resolve("a", "public.example")) == onPublic.id)
        #expect(try f.resolve("a", "[192.0.2.1]") == .unknown)
        #expect(try f.resolve("a", "bad..name") == .unknown)
    }

    @Test func internationalizedDomainsMatchTheirALabels() throws {
        let f = try Fixture()
        try f.domain("xn--bcher-kva.example", account: "acct")
        let hook = try f.webhook("info@xn--bcher-kva.example", account: "acct")
        #expect(Self.webhookID(try f.resolve("info", "bücher.example")) == hook.id)
        #expect(Self.webhookID(try f.resolve("info", "XN--BCHER-KVA.example")) == hook.id)
    }

    @Test func policyComesWithTheWebhook() throws {
        let f = try Fixture()
        try f.domain("mine.example", account: "acct")
        var policy = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: "acct", name: "p", createdAt: f.now)
        policy.requireSPF = true
        try f.store.write { try $0.insert(policy) }
        try f.webhook("a@mine.example", account: "acct", policy: policy.id)
        guard case let .found(_, found, _) = try f.resolve("a", "mine.example") else { Issue.record("not found"); return }
        #expect(found == policy)
    }
}
