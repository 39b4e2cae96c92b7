import ConduitCore
import ConduitDelivery
import ConduitDNS
import ConduitSMTP
import ConduitStore
import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import ConduitIngress

/// The backend end to end over a real store and spool writer, with a DNS
/// that knows no names (SPF `none`, no DKIM keys): what DKIM-failing
/// recipients leave behind, and what is spooled.
@Suite struct IngressSessionTests {
    struct EmptyDNS: DNSResolving {
        func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult { .nxdomain }
    }

    final class Fixture {
        let directory: String
        let store: Store
        let spool: SpoolWriter
        let backend: IngressBackend

        init(accountQuotaBytes: Int? = nil, storageReserveBytes: Int = 0, checks: [any IngressCheck] = IngressChecks.standard,
             resolver: any DNSResolving = EmptyDNS(), evaluateDMARC: Bool = true) throws {
            var template = Array("/tmp/conduit-ingress-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(
                path: directory, mapSizeBytes: 16 << 20,
                schema: Schema(version: 1, records: [Domain.self, Webhook.self, SMTPSecurityPolicy.self] + Spool.recordTypes,
                               rawDatabases: Spool.rawDatabases)
            )
            spool = SpoolWriter(store: store)
            let intake = MessageSpool(store: store, writer: spool, settings: .init(accountQuotaBytes: accountQuotaBytes), engine: nil)
            backend = IngressBackend(store: store, spool: intake, resolver: resolver,
                                     settings: IngressSettings(hostname: "mx.test", accountQuotaBytes: accountQuotaBytes,
                                                               storageReserveBytes: storageReserveBytes, evaluateDMARC: evaluateDMARC),
                                     logger: Logger(label: "test"), checks: checks)
        }

        deinit {
            spool.shutdown()
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func setUp(_ f: Fixture) throws -> (guarded: Webhook, plain: Webhook) {
        let now = Date()
        var policy = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: "acct", name: "dkim", createdAt: now)
        policy.requireDKIM = true
        func hook(_ address: String, policy: String?) -> Webhook {
            Webhook(id: Identifier.generate().rawValue, accountID: "acct", address: address, targetURL: "https://r.example/",
                    secret: "whsec_x", customHeaders: [:], payloadTemplate: nil, rateLimit: 0, active: true,
                    smtpSecurityPolicyID: policy, createdAt: now)
        }
        let guarded = hook("guarded@pub.example", policy: policy.id)
        let plain = hook("plain@pub.example", policy: nil)
        try f.store.write { txn in
            try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: nil, name: "pub.example",
                                  verificationToken: nil, verified: true, isPublic: true, createdAt: now))
            try txn.insert(policy)
            try txn.insert(guarded)
            try txn.insert(plain)
        }
        return (guarded, plain)
    }

    static let plainText = "Received: x\r\nMessage-ID: <m1@example.org>\r\nSubject: hi\r\n\r\nHello.\r\n"

    static func message(_ recipients: [SMTPMailbox], text: String = plainText) -> SMTPMessage {
        SMTPMessage(id: Identifier.generate().rawValue, content: ByteBuffer(string: text), recipients: recipients)
    }

    static func run(_ f: Fixture, rcpts: [String], text: String = plainText) async -> (rcpt: [Int], data: SMTPReply, id: String) {
        let session = LoopSession(f.backend)
        let context = SMTPTransactionContext(helo: "client.example", tls: false, authUser: nil)
        _ = await session.mail(from: SMTPMailbox(localPart: "s", domain: "example.org"), parameters: .init(), context: context)
        var codes: [Int] = []
        var accepted: [SMTPMailbox] = []
        for rcpt in rcpts {
            let mailbox = SMTPMailbox(localPart: String(rcpt.split(separator: "@")[0]), domain: String(rcpt.split(separator: "@")[1]))
            let reply = await session.rcpt(to: mailbox)
            codes.append(reply.code)
            if reply.code == 250 { accepted.append(mailbox) }
        }
        let message = message(accepted, text: text)
        return (codes, await session.data(message), message.id)
    }

    @Test func dkimFailuresAreLoggedAndTheRestIsSpooled() async throws {
        let f = try Fixture()
        let (guarded, plain) = try Self.setUp(f)
        let (codes, reply, id) = await Self.run(f, rcpts: ["guarded@pub.example", "plain@pub.example", "nobody@pub.example"])
        #expect(codes == [250, 250, 550])
        #expect(reply.code == 250)
        #expect(reply.lines == ["OK queued as \(id)"])
        let (deliveries, logs, spooled) = try f.store.read { txn in
            (try txn.deliveries(ofMessage: id), try txn.scan(DeliveryLog.self), try txn.get(SpooledMessage.self, id: id))
        }
        #expect(deliveries.map(\.webhookID) == [plain.id])
        #expect(deliveries.first?.state == .pending)
        #expect(spooled?.recipients.map(\.webhookID) == [plain.id])
        #expect(spooled?.spf == SpooledSPF(result: "none", domain: "example.org"))
        #expect(logs.count == 1)
        #expect(logs.first?.webhookID == guarded.id)
        #expect(logs.first?.messageID == id)
        #expect(logs.first?.smtpMessageID == "<m1@example.org>")
        #expect(logs.first?.sender == "s@example.org")
        #expect(logs.first?.error?.contains("no DKIM signature") == true)
        #expect(try f.store.spooledBody(id: id).map { String(decoding: $0, as: UTF8.self) }?.hasSuffix("Hello.\r\n") == true)
    }

    @Test func noRecipientLeftIsRefusedButLogged() async throws {
        let f = try Fixture()
        let (guarded, _) = try Self.setUp(f)
        let (codes, reply, id) = await Self.run(f, rcpts: ["guarded@pub.example"])
        #expect(codes == [250])
        #expect(reply.code == 550 && reply.enhanced == "5.7.20")
        let (spooled, logs) = try f.store.read { txn in (try txn.get(SpooledMessage.self, id: id), try txn.scan(DeliveryLog.self)) }
        #expect(spooled == nil)
        #expect(logs.map(\.webhookID) == [guarded.id])
    }

    /// The common case needs no task: MAIL FROM, a known or unknown
    /// recipient, a recipient whose policy is decided from what the session
    /// knows (DKIM's rule waits for end of DATA) are answered during the call.
    @Test func mailAndRcptAreDecidedOnTheEventLoop() async throws {
        let f = try Fixture()
        _ = try Self.setUp(f)
        let session = LoopSession(f.backend)
        let context = SMTPTransactionContext(helo: "client.example", tls: false, authUser: nil)
        let sender = SMTPMailbox(localPart: "s", domain: "example.org")
        let mail = await session.answeredAtOnce { $0.mail(from: sender, parameters: .init(), context: context) }
        #expect(mail.atOnce && mail.reply.code == 250)
        for (rcpt, code) in [("plain", 250), ("nobody", 550), ("guarded", 250)] {
            let answer = await session.answeredAtOnce { $0.rcpt(to: SMTPMailbox(localPart: rcpt, domain: "pub.example")) }
            #expect(answer.atOnce && answer.reply.code == code, "\(rcpt)")
        }
        // DATA waits for the spool's durable write.
        let message = Self.message([SMTPMailbox(localPart: "plain", domain: "pub.example")])
        let data = await session.answeredAtOnce { $0.data(message) }
        #expect(!data.atOnce && data.reply.code == 250)
    }

    /// A rule that needs the SPF verdict before it is known answers later,
    /// from a task, and the reply still comes back (here SPF `none`: refused).
    @Test func anSPFRuleWaitsForTheVerdict() async throws {
        let f = try Fixture()
        let now = Date()
        var policy = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: "acct", name: "spf", createdAt: now)
        policy.requireSPF = true
        try f.store.write { txn in
            try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: nil, name: "pub.example",
                                  verificationToken: nil, verified: true, isPublic: true, createdAt: now))
            try txn.insert(policy)
            try txn.insert(Webhook(id: Identifier.generate().rawValue, accountID: "acct", address: "spf@pub.example", targetURL: "https://r.example/",
                                   secret: "whsec_x", customHeaders: [:], payloadTemplate: nil, rateLimit: 0, active: true,
                                   smtpSecurityPolicyID: policy.id, createdAt: now))
        }
        let session = LoopSession(f.backend)
        let context = SMTPTransactionContext(helo: "client.example", tls: false, authUser: nil)
        _ = await session.mail(from: SMTPMailbox(localPart: "s", domain: "example.org"), parameters: .init(), context: context)
        let answer = await session.answeredAtOnce { $0.rcpt(to: SMTPMailbox(localPart: "spf", domain: "pub.example")) }
        #expect(!answer.atOnce)
        #expect(answer.reply.code == 550 && answer.reply.enhanced == "5.7.23")
        // The verdict is known now: the next recipient of the rule is decided at once.
        let again = await session.answeredAtOnce { $0.rcpt(to: SMTPMailbox(localPart: "spf", domain: "pub.example")) }
        #expect(again.atOnce && again.reply.code == 550)
    }
}
