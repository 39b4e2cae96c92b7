import ConduitCore
import ConduitStore
import Foundation
import Testing
@testable import ConduitDelivery

/// The intake over a real LMDB store and spool writer: what one submission
/// becomes (message, body, deliveries with their first attempt, log rows of
/// refused recipients), and the errors the ingress turns into replies.
@Suite struct MessageSpoolTests {
    final class Fixture {
        let directory: String
        let store: Store
        let writer: SpoolWriter

        init() throws {
            var template = Array("/tmp/conduit-intake-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(path: directory, mapSizeBytes: 16 << 20,
                              schema: Schema(version: 1, records: Spool.recordTypes, rawDatabases: Spool.rawDatabases))
            writer = SpoolWriter(store: store)
        }

        func intake(_ settings: MessageSpool.Settings) -> MessageSpool {
            MessageSpool(store: store, writer: writer, settings: settings, engine: nil)
        }

        deinit {
            writer.shutdown()
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static let receivedAt = Date(timeIntervalSince1970: 1_700_000_000.123)
    static let body = Array("Message-ID: <m@x>\r\nSubject: hi\r\n\r\nHello.\r\n".utf8)

    static func submission(recipients: [SpooledRecipient], refused: [SpoolSubmission.Refusal] = []) -> SpoolSubmission {
        SpoolSubmission(
            id: Identifier.generate().rawValue, receivedAt: receivedAt, mailFrom: "s@example.org", remoteIP: "192.0.2.7",
            helo: "c.example", tls: true, authUser: "u", spf: SpooledSPF(result: "pass", domain: "example.org"),
            dkim: [SpooledDKIM(domain: "example.org", selector: "s1", result: "pass")], smtpMessageID: "<m@x>",
            recipients: recipients, refused: refused, body: body
        )
    }

    static let alice = SpooledRecipient(rcptTo: "a+t@x.example", webhookID: "w1", accountID: "acct1", tag: "t")
    static let bob = SpooledRecipient(rcptTo: "b@x.example", webhookID: "w2", accountID: "acct2", tag: nil)
    static let carol = SpooledRecipient(rcptTo: "c@x.example", webhookID: "w3", accountID: "acct1", tag: nil)

    @Test func oneSubmissionBecomesMessageDeliveriesAndLogRows() async throws {
        let f = try Fixture()
        let submission = Self.submission(recipients: [Self.alice, Self.bob],
                                         refused: [.init(recipient: Self.carol, reason: "no DKIM signature")])
        let verdict = try await f.intake(.init(firstAttemptDelay: 90)).accept(submission)
        #expect(verdict == .accepted)
        let (message, deliveries, logs, body) = try f.store.read { txn in
            (try txn.get(SpooledMessage.self, id: submission.id), try txn.deliveries(ofMessage: submission.id),
             try txn.scan(DeliveryLog.self), try txn.spooledBody(id: submission.id))
        }
        #expect(message?.recipients == [Self.alice, Self.bob])
        #expect(message?.size == Self.body.count)
        #expect(message?.helo == "c.example" && message?.tls == true && message?.authUser == "u")
        #expect(message?.dkim == submission.dkim && message?.spf == submission.spf)
        #expect(body == Self.body)
        #expect(deliveries.map(\.rcptTo).sorted() == ["a+t@x.example", "b@x.example"])
        for delivery in deliveries {
            #expect(delivery.state == .pending && delivery.attempts == 0)
            // Delivery's rule: the first attempt is the arrival plus the delay (ms precision on disk).
            #expect(abs(delivery.nextAttemptAt.timeIntervalSince(Self.receivedAt.addingTimeInterval(90))) < 0.002)
        }
        #expect(deliveries.first { $0.webhookID == "w1" }?.tag == "t")
        #expect(logs.count == 1)
        #expect(logs.first?.webhookID == "w3" && logs.first?.accountID == "acct1" && logs.first?.deliveryID == nil)
        #expect(logs.first?.error == "not delivered: no DKIM signature")
        #expect(logs.first?.smtpMessageID == "<m@x>" && logs.first?.sender == "s@example.org")
    }

    @Test func aFullAccountComesBackToTheCaller() async throws {
        let f = try Fixture()
        // Room for no message at all: the writer refuses inside its transaction.
        let intake = f.intake(.init(accountQuotaBytes: 10))
        await #expect(throws: StoreError.quotaExceeded(accountIDs: ["acct1", "acct2"])) {
            _ = try await intake.accept(Self.submission(recipients: [Self.alice, Self.bob]))
        }
        #expect(try f.store.read { try $0.scan(SpooledMessage.self) }.isEmpty)
    }

    @Test func refusalsAloneWriteOnlyLogRows() async throws {
        let f = try Fixture()
        let submission = Self.submission(recipients: [], refused: [.init(recipient: Self.alice, reason: "DKIM failed")])
        try await f.intake(.init()).recordRefusals(of: submission)
        let (messages, logs) = try f.store.read { txn in (try txn.scan(SpooledMessage.self), try txn.scan(DeliveryLog.self)) }
        #expect(messages.isEmpty)
        #expect(logs.map(\.error) == ["not delivered: DKIM failed"])
    }
}
