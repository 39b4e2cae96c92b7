import ConduitCore
import ConduitDNS
import ConduitPolicy
import ConduitSMTP
import ConduitStore
import Foundation
import NIOCore
import Testing
@testable import ConduitIngress

/// DMARC and ARC at end of DATA through the backend: the verdicts kept with
/// the spooled message, and `dmarc_enforcement` refusing one webhook's
/// recipient while another's is spooled.
@Suite struct IngressDMARCTests {
    /// `_dmarc.<domain>` answers as scripted; every other name is NXDOMAIN
    /// (so SPF is `none` and no DKIM or ARC key exists).
    struct DMARCZone: DNSResolving {
        var answers: [String: DNSLookupResult]
        func lookup(_ name: String, type: DNSRecordType) async -> DNSLookupResult {
            guard type == .txt, let answer = answers[name.lowercased()] else { return .nxdomain }
            return answer
        }
    }

    static func record(_ text: String, at name: String) -> DNSLookupResult {
        .records([DNSRecord(name: name, type: 16, ttl: 60, data: .txt([Array(text.utf8)]))])
    }

    static let fromAuthor = "From: A <a@author.example>\r\nMessage-ID: <m2@author.example>\r\nSubject: hi\r\n\r\nHello.\r\n"

    /// One webhook whose policy enforces DMARC, one without a policy.
    static func setUp(_ f: IngressSessionTests.Fixture) throws -> (enforced: Webhook, plain: Webhook) {
        let now = Date()
        var policy = SMTPSecurityPolicy(id: Identifier.generate().rawValue, accountID: "acct", name: "dmarc", createdAt: now)
        policy.dmarcEnforcement = .reject
        func hook(_ address: String, policy: String?) -> Webhook {
            Webhook(id: Identifier.generate().rawValue, accountID: "acct", address: address, targetURL: "https://r.example/",
                    secret: "whsec_x", customHeaders: [:], payloadTemplate: nil, rateLimit: 0, active: true,
                    smtpSecurityPolicyID: policy, createdAt: now)
        }
        let enforced = hook("enforced@pub.example", policy: policy.id)
        let plain = hook("plain@pub.example", policy: nil)
        try f.store.write { txn in
            try txn.insert(Domain(id: Identifier.generate().rawValue, accountID: nil, name: "pub.example",
                                  verificationToken: nil, verified: true, isPublic: true, createdAt: now))
            try txn.insert(policy)
            try txn.insert(enforced)
            try txn.insert(plain)
        }
        return (enforced, plain)
    }

    @Test func failUnderRejectRefusesTheEnforcingWebhookOnly() async throws {
        let f = try IngressSessionTests.Fixture(resolver: DMARCZone(answers: [
            "_dmarc.author.example": Self.record("v=DMARC1; p=reject", at: "_dmarc.author.example"),
        ]))
        let (enforced, plain) = try Self.setUp(f)
        let (codes, reply, id) = await IngressSessionTests.run(f, rcpts: ["enforced@pub.example", "plain@pub.example"], text: Self.fromAuthor)
        #expect(codes == [250, 250])
        #expect(reply.code == 250)
        let (spooled, logs) = try f.store.read { txn in (try txn.get(SpooledMessage.self, id: id), try txn.scan(DeliveryLog.self)) }
        #expect(spooled?.recipients.map(\.webhookID) == [plain.id])
        #expect(spooled?.dmarc == SpooledDMARC(result: "fail", domain: "author.example", policy: "reject", spfAligned: false,
                                               dkimAligned: false, organizationalDomain: "author.example"))
        #expect(spooled?.arc == SpooledARC(result: "none", instances: 0))
        #expect(spooled?.authservID == "mx.test")
        #expect(logs.map(\.webhookID) == [enforced.id])
        #expect(logs.first?.error?.contains("dmarc=fail policy=reject header.from=author.example arc=none") == true)
    }

    @Test func onlyRecipientRefusedGets550() async throws {
        let f = try IngressSessionTests.Fixture(resolver: DMARCZone(answers: [
            "_dmarc.author.example": Self.record("v=DMARC1; p=reject", at: "_dmarc.author.example"),
        ]))
        _ = try Self.setUp(f)
        let (_, reply, _) = await IngressSessionTests.run(f, rcpts: ["enforced@pub.example"], text: Self.fromAuthor)
        #expect(reply.code == 550 && reply.enhanced == "5.7.1")
        #expect(reply.lines.first?.contains("dmarc=fail") == true)
    }

    @Test func quarantineAndTestingAreDelivered() async throws {
        for record in ["v=DMARC1; p=quarantine", "v=DMARC1; p=reject; t=y"] {
            let f = try IngressSessionTests.Fixture(resolver: DMARCZone(answers: [
                "_dmarc.author.example": Self.record(record, at: "_dmarc.author.example"),
            ]))
            let (enforced, _) = try Self.setUp(f)
            let (_, reply, id) = await IngressSessionTests.run(f, rcpts: ["enforced@pub.example"], text: Self.fromAuthor)
            #expect(reply.code == 250, "\(record)")
            let spooled = try f.store.read { try $0.get(SpooledMessage.self, id: id) }
            #expect(spooled?.recipients.map(\.webhookID) == [enforced.id])
            #expect(spooled?.dmarc?.result == "fail")
            #expect(spooled?.dmarc?.policy == "quarantine", "\(record)")
        }
    }

    @Test func temperrorDefersTheMessage() async throws {
        let f = try IngressSessionTests.Fixture(resolver: DMARCZone(answers: ["_dmarc.author.example": .temporaryFailure("SERVFAIL")]))
        _ = try Self.setUp(f)
        let (_, reply, id) = await IngressSessionTests.run(f, rcpts: ["plain@pub.example", "enforced@pub.example"], text: Self.fromAuthor)
        #expect(reply.code == 451 && reply.enhanced == "4.7.5")
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: id) } == nil)
    }

    @Test func switchedOffNothingIsEvaluatedOrEnforced() async throws {
        let f = try IngressSessionTests.Fixture(resolver: DMARCZone(answers: [
            "_dmarc.author.example": Self.record("v=DMARC1; p=reject", at: "_dmarc.author.example"),
        ]), evaluateDMARC: false)
        let (enforced, _) = try Self.setUp(f)
        let (_, reply, id) = await IngressSessionTests.run(f, rcpts: ["enforced@pub.example"], text: Self.fromAuthor)
        #expect(reply.code == 250)
        let spooled = try f.store.read { try $0.get(SpooledMessage.self, id: id) }
        #expect(spooled?.recipients.map(\.webhookID) == [enforced.id])
        #expect(spooled?.dmarc == nil && spooled?.arc == nil)
        #expect(spooled?.authservID == "mx.test")
    }

    /// The stream pass hashes the body for an ARC-Message-Signature only
    /// while ARC is evaluated (`[smtp] dmarc`).
    @Test func theObserverHashesForARCOnlyWhenAsked() {
        let header = "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=f.example; s=s; h=from; bh=AAAA; b=AAAA\r\n"
            + "From: a@author.example\r\n\r\n"
        for asked in [true, false] {
            let observer = DKIMStreamObserver(hashesForARC: asked)
            observer.headerBlock(ByteBuffer(string: header).readableBytesView, complete: true)
            observer.body(ByteBuffer(string: "Hello.\r\n").readableBytesView)
            let observed = observer.finish() as? DKIMObservation
            #expect((observed?.bodyHashes != nil) == asked, "asked: \(asked)")
        }
    }

    @Test func theCheckDecidesOnlyFailUnderRejectAndTemperror() {
        func verdict(_ result: DMARCResult, _ policy: DMARCPolicy) -> DMARCVerdict {
            DMARCVerdict(result: result, authorDomain: "a.example", policy: policy)
        }
        let arc = ARCVerdict(result: .pass, instances: 2)
        #expect(DMARCCheck.decision(.reject, dmarc: verdict(.fail, .reject), arc: arc)
            == .reject(CheckReason(.dmarcFailed, "dmarc=fail policy=reject header.from=a.example arc=pass arc.instances=2")))
        #expect(DMARCCheck.decision(.reject, dmarc: verdict(.temperror, .none), arc: nil)
            == .defer(CheckReason(.dmarcTemporary, "dmarc=temperror policy=none header.from=a.example")))
        for (result, policy) in [(DMARCResult.fail, DMARCPolicy.quarantine), (.fail, .none), (.pass, .reject), (.none, .none), (.permerror, .none)] {
            #expect(DMARCCheck.decision(.reject, dmarc: verdict(result, policy), arc: nil) == .accept)
        }
        #expect(DMARCCheck.decision(.off, dmarc: verdict(.fail, .reject), arc: nil) == .accept)
        #expect(DMARCCheck.decision(.off, dmarc: verdict(.temperror, .reject), arc: nil) == .accept)
        #expect(DMARCCheck.decision(.reject, dmarc: nil, arc: nil) == .accept)
    }
}
