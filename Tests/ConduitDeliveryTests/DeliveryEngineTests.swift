import ConduitCore
import ConduitDNS
import ConduitStore
import Foundation
import Logging
import Synchronization
import Testing
@testable import ConduitDelivery

/// The engine's store rules over a real LMDB store: what a scheduling pass
/// claims, defers and drops, how outcomes are recorded, and the lease
/// recovery after a crash. No POST is made here (the integration suite
/// drives the real HTTP path); the client exists because the engine owns one.
@Suite(.serialized) struct DeliveryEngineTests {
    final class Fixture: @unchecked Sendable {  // used by one test at a time
        let directory: String
        let store: Store
        let client: WebhookHTTPClient
        let engine: DeliveryEngine
        let settings: DeliverySettings

        init(
            maxInFlightPerWebhook: Int = 2, maxInFlight: Int = 512, batchSize: Int = 256, maxAge: Duration = .seconds(72 * 3600),
            retryInitial: Duration = .seconds(30), mapSizeBytes: Int = 32 << 20
        ) async throws {
            var template = Array("/tmp/conduit-delivery-test-XXXXXX".utf8CString)
            let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            precondition(made != nil, "mkdtemp failed")
            directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            store = try Store(path: directory, mapSizeBytes: mapSizeBytes,
                              schema: Schema(version: 1, records: [Webhook.self] + Spool.recordTypes, rawDatabases: Spool.rawDatabases))
            let logger = Logger(label: "test")
            client = WebhookHTTPClient(policy: EgressPolicy(allowPrivateTargets: false), resolver: TargetResolver(resolver: TargetResolverTests.NoDNS()),
                                           maxConnectionsPerHost: 2, logger: logger)
            settings = DeliverySettings(
                timeout: .seconds(1),
                schedule: RetrySchedule(initial: retryInitial, maximum: .seconds(3600), maxAge: maxAge),
                maxInFlightPerWebhook: maxInFlightPerWebhook, userAgent: "Conduit/test", maxInFlight: maxInFlight, batchSize: batchSize
            )
            engine = DeliveryEngine(store: store, client: client, settings: settings, logger: logger)
        }

        func close() async {
            await client.shutdown()
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// A webhook; `secret: "whsec_?"` makes one whose attempts fail
        /// permanently before any POST (the secret cannot sign).
        func webhook(rateLimit: Int = 0, active: Bool = true, secret: String? = nil) throws -> Webhook {
            let hook = Webhook(id: Identifier.generate().rawValue, accountID: "acct", address: "a\(UUID().uuidString.prefix(8).lowercased())@x.example",
                               targetURL: "https://hooks.example/in", secret: secret ?? "whsec_" + Data(Array(repeating: 1, count: 24)).base64EncodedString(),
                               customHeaders: [:], payloadTemplate: nil, rateLimit: rateLimit, active: active, smtpSecurityPolicyID: nil,
                               createdAt: Date())
            try store.write { try $0.insert(hook) }
            return hook
        }

        /// Spools one message for `hooks`; returns its deliveries.
        @discardableResult
        func spool(to hooks: [Webhook], receivedAt: Date = Date(), due: Date = Date()) throws -> [Delivery] {
            let id = Identifier.generate().rawValue
            let message = SpooledMessage(id: id, receivedAt: receivedAt, mailFrom: "s@example.org", remoteIP: "192.0.2.1", helo: "c.example",
                                         tls: false, authUser: nil, spf: nil, dkim: [], size: 0,
                                         recipients: hooks.map { SpooledRecipient(rcptTo: $0.address, webhookID: $0.id, accountID: $0.accountID, tag: nil) })
            let deliveries = hooks.map {
                Delivery(id: Identifier.generate().rawValue, messageID: id, webhookID: $0.id, accountID: $0.accountID, rcptTo: $0.address,
                         tag: nil, nextAttemptAt: due, createdAt: receivedAt)
            }
            try store.write { try $0.insert(SpoolEntry(message: message, body: Array("Subject: x\r\n\r\nhi\r\n".utf8), deliveries: deliveries, logs: [])) }
            return deliveries
        }

        /// Spools `count` messages for `hook` in one transaction (a backlog).
        func spoolBacklog(_ count: Int, to hook: Webhook, due: Date) throws {
            try store.write { txn in
                for _ in 0..<count {
                    let id = Identifier.generate().rawValue
                    let message = SpooledMessage(id: id, receivedAt: due, mailFrom: "s@example.org", remoteIP: "192.0.2.1", helo: "c.example",
                                                 tls: false, authUser: nil, spf: nil, dkim: [], size: 0,
                                                 recipients: [SpooledRecipient(rcptTo: hook.address, webhookID: hook.id, accountID: hook.accountID, tag: nil)])
                    let delivery = Delivery(id: Identifier.generate().rawValue, messageID: id, webhookID: hook.id, accountID: hook.accountID,
                                            rcptTo: hook.address, tag: nil, nextAttemptAt: due, createdAt: due)
                    try txn.insert(SpoolEntry(message: message, body: Array("Subject: x\r\n\r\nhi\r\n".utf8), deliveries: [delivery], logs: []))
                }
            }
        }

        func delivery(_ id: String) throws -> Delivery? {
            try store.read { try $0.get(Delivery.self, id: id) }
        }
    }

    @Test func claimLeasesDueDeliveriesAndSkipsFutureOnes() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let now = try f.spool(to: [hook])[0]
        let later = try f.spool(to: [hook], due: Date().addingTimeInterval(600))[0]
        let pass = try f.engine.claimDue(now: Date())
        #expect(pass.claims.map(\.delivery.id) == [now.id])
        let leased = try #require(try f.delivery(now.id))
        #expect(leased.attempts == 1 && leased.leasedUntil != nil && leased.nextAttemptAt == leased.leasedUntil)
        #expect(try f.delivery(later.id)?.attempts == 0)
        // A second pass does not claim the leased delivery again.
        #expect(try f.engine.claimDue(now: Date()).claims.isEmpty)
        await f.close()
    }

    @Test func perWebhookInFlightCapHoldsTheRestBack() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 2)
        let busy = try f.webhook()
        let other = try f.webhook()
        for _ in 0..<4 { try f.spool(to: [busy]) }
        try f.spool(to: [other])
        let claims = try f.engine.claimDue(now: Date()).claims
        #expect(claims.filter { $0.webhook.id == busy.id }.count == 2)
        #expect(claims.filter { $0.webhook.id == other.id }.count == 1)
        await f.close()
    }

    @Test func theSweepReachesPastABusyWebhooksBacklog() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 1, batchSize: 8)
        let busy = try f.webhook()
        let other = try f.webhook()
        let start = Date()
        for _ in 0..<5 { try f.spool(to: [busy], due: start.addingTimeInterval(-10)) }
        try f.spool(to: [other], due: start)
        // One pass: busy's oldest and the other webhook's mail, behind busy's backlog.
        let first = try f.engine.claimDue(now: start).claims
        #expect(Set(first.map(\.webhook.id)) == [busy.id, other.id] && first.count == 2)
        // Busy's waiting deliveries were neither claimed nor rewritten.
        #expect(try f.engine.claimDue(now: start).claims.isEmpty)
        let untouched = try f.store.read { try $0.list(Delivery.self, index: .byWebhook, key: busy.id) }.filter { $0.attempts == 0 }
        #expect(untouched.count == 4 && untouched.allSatisfy { $0.updatedAt == $0.createdAt })
        // A slot frees: busy's oldest waiting one is next.
        f.engine.state.withLock { $0.finished(webhookID: busy.id) }
        let third = try f.engine.claimDue(now: start).claims
        #expect(third.map(\.webhook.id) == [busy.id])
        #expect(third.first?.delivery.createdAt == untouched.map(\.createdAt).min())
        await f.close()
    }

    @Test func aPassOverABusyWebhooksBacklogReadsOneEntry() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 2, batchSize: 1024)
        let busy = try f.webhook()
        try f.spoolBacklog(3000, to: busy, due: Date().addingTimeInterval(-60))
        // The first pass reads the webhook's index entry, its record and two free slots' worth.
        let first = try f.engine.claimDue(now: Date())
        #expect(first.claims.count == 2 && first.entriesRead == 4)
        // Busy now: one seek over its 2,998 waiting deliveries, nothing else.
        let second = try f.engine.claimDue(now: Date())
        #expect(second.claims.isEmpty && second.entriesRead == 1)
        #expect(second.nextDue.map { $0 < Date() } == true)
        // One slot frees: one more delivery read, one claimed.
        f.engine.state.withLock { $0.finished(webhookID: busy.id) }
        let third = try f.engine.claimDue(now: Date())
        #expect(third.claims.count == 1 && third.entriesRead == 3)
        await f.close()
    }

    @Test func ninePlainWebhooksAreServedBesideABusyOnesBacklog() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 4, batchSize: 1024)
        let slow = try f.webhook()
        let fast = try (0..<9).map { _ in try f.webhook() }
        try f.spoolBacklog(2000, to: slow, due: Date().addingTimeInterval(-60))
        for hook in fast { try f.spoolBacklog(6, to: hook, due: Date()) }
        let first = try f.engine.claimDue(now: Date())
        #expect(first.claims.count == 40)
        // The slow webhook is full; each fast one finishes a POST.
        for hook in fast { f.engine.state.withLock { $0.finished(webhookID: hook.id) } }
        let second = try f.engine.claimDue(now: Date())
        #expect(Set(second.claims.map(\.webhook.id)) == Set(fast.map(\.id)) && second.claims.count == 9)
        // Ten webhooks listed, nine webhook records, one delivery read for each
        // free slot: the slow webhook's backlog costs its index entry.
        #expect(second.entriesRead == 10 + 9 + 9)
        await f.close()
    }

    @Test func aWebhookWhoseMailWaitsForLaterCostsItsIndexEntry() async throws {
        let f = try await Fixture(batchSize: 1024)
        let waiting = try f.webhook()
        let ready = try f.webhook()
        try f.spoolBacklog(500, to: waiting, due: Date().addingTimeInterval(600))
        try f.spool(to: [ready])
        let pass = try f.engine.claimDue(now: Date())
        #expect(pass.claims.map(\.webhook.id) == [ready.id])
        // Two webhooks listed; only the ready one's record and delivery read.
        #expect(pass.entriesRead == 2 + 1 + 1)
        await f.close()
    }

    @Test func webhooksTakeTurnsAtTheGlobalLimit() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 4, maxInFlight: 2)
        let hooks = try (0..<3).map { _ in try f.webhook() }
        for hook in hooks { try f.spoolBacklog(3, to: hook, due: Date()) }
        let first = try f.engine.claimDue(now: Date()).claims.map(\.webhook.id)
        #expect(first.count == 2)
        for id in first { f.engine.state.withLock { $0.finished(webhookID: id) } }
        // The next pass goes on where the last stopped: the third webhook is not passed over.
        let second = try f.engine.claimDue(now: Date()).claims.map(\.webhook.id)
        #expect(second.count == 2 && second.first == hooks.map(\.id).first { !first.contains($0) })
        await f.close()
    }

    @Test func aRateLimitedWebhookWithTokensReadsOnlyItsFreeSlots() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 3, batchSize: 1024)
        let hook = try f.webhook(rateLimit: 1000)
        try f.spoolBacklog(500, to: hook, due: Date())
        let pass = try f.engine.claimDue(now: Date())
        #expect(pass.claims.count == 3 && pass.entriesRead == 1 + 1 + 3)
        // Nothing was deferred: the rest are still due now.
        let deferred = try f.store.read { try $0.list(Delivery.self, index: .byWebhook, key: hook.id) }.filter { $0.nextAttemptAt > Date() && $0.attempts == 0 }
        #expect(deferred.isEmpty)
        await f.close()
    }

    @Test func rateLimitAllowsABurstThenSpacesTheRest() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 100)
        let hook = try f.webhook(rateLimit: 2)
        let deliveries = (0..<5).flatMap { _ in (try? f.spool(to: [hook])) ?? [] }
        let now = Date()
        let claims = try f.engine.claimDue(now: now).claims
        #expect(claims.count == 2)
        let waiting = try deliveries.dropFirst(2).map { try #require(try f.delivery($0.id)) }
        let delays = waiting.map { $0.nextAttemptAt.timeIntervalSince(now) }
        // One token per 30 s: the first waits ~30 s, the next ~60 s, then ~90 s.
        #expect(delays.allSatisfy { $0 > 25 })
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $1 - $0 > 25 })
        #expect(waiting.allSatisfy { $0.attempts == 0 && $0.leasedUntil == nil })
        await f.close()
    }

    @Test func deliveriesOfDeletedWebhooksAreDroppedAndInactiveOnesWait() async throws {
        let f = try await Fixture()
        let gone = try f.webhook()
        let paused = try f.webhook(active: false)
        let orphan = try f.spool(to: [gone])[0]
        let parked = try f.spool(to: [paused])[0]
        _ = try f.store.write { try $0.delete(Webhook.self, id: gone.id) }
        #expect(try f.engine.claimDue(now: Date()).claims.isEmpty)
        #expect(try f.delivery(orphan.id) == nil)
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: orphan.messageID) } == nil)
        let waiting = try #require(try f.delivery(parked.id))
        #expect(waiting.state == .pending && waiting.nextAttemptAt > Date().addingTimeInterval(3000))
        await f.close()
    }

    @Test func anInactiveWebhooksMailDiesAtMaxAgeWithALogRow() async throws {
        let f = try await Fixture()
        let paused = try f.webhook(active: false)
        let old = try f.spool(to: [paused], receivedAt: Date().addingTimeInterval(-71 * 3600))[0]
        #expect(try f.engine.claimDue(now: Date()).claims.isEmpty)
        #expect(try f.delivery(old.id)?.state == .dead)
        let logs = try f.store.read { try $0.list(DeliveryLog.self, index: .byWebhook, key: paused.id) }
        #expect(logs.count == 1 && logs[0].error?.contains("inactive") == true && logs[0].deliveryID == old.id)
        // The spool keeps a message that was not delivered.
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: old.messageID) } != nil)
        await f.close()
    }

    @Test func recoveryReoffersEveryLeaseAtOnce() async throws {
        let f = try await Fixture()
        let hook = try f.webhook()
        let delivery = try f.spool(to: [hook])[0]
        #expect(try f.engine.claimDue(now: Date()).claims.count == 1)
        // A new process: the lease's worker is gone.
        let now = Date()
        #expect(try f.engine.recoverLeases(now: now) == 1)
        let recovered = try #require(try f.delivery(delivery.id))
        #expect(recovered.leasedUntil == nil && recovered.attempts == 1)
        #expect(abs(recovered.nextAttemptAt.timeIntervalSince(now)) < 0.01)
        await f.close()
    }
}


extension DeliveryEngineTests {
    /// The intake counts a message's deliveries in; the claim pass counts
    /// their first attempts out, and only those (a retry is not fresh mail).
    @Test func firstLeasesMakeRoomForWaitingSenders() async throws {
        let f = try await Fixture(maxInFlightPerWebhook: 8)
        let hook = try f.webhook()
        let writer = SpoolWriter(store: f.store)
        defer { writer.shutdown() }
        let spool = MessageSpool(store: f.store, writer: writer, settings: .init(), engine: f.engine)
        let recipient = SpooledRecipient(rcptTo: hook.address, webhookID: hook.id, accountID: hook.accountID, tag: nil)
        for _ in 0..<3 {
            let submission = SpoolSubmission(
                id: Identifier.generate().rawValue, receivedAt: Date(), mailFrom: "s@example.org", remoteIP: "192.0.2.7",
                helo: "c.example", tls: false, authUser: nil, spf: nil, dkim: [], smtpMessageID: nil,
                recipients: [recipient], refused: [], body: Array("Subject: x\r\n\r\nhi\r\n".utf8)
            )
            _ = try await spool.accept(submission)
        }
        #expect(f.engine.inflow.backlog(of: hook.id) == 3)
        let claimed = try f.engine.claimDue(now: Date().addingTimeInterval(1))
        #expect(claimed.claims.count == 3)
        #expect(f.engine.inflow.backlog(of: hook.id) == 0)
        await f.close()
    }
}
