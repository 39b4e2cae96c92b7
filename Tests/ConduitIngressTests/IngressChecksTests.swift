import ConduitCore
import ConduitPolicy
import ConduitSMTP
import ConduitStore
import Foundation
import Synchronization
import Testing
@testable import ConduitIngress

/// The checks as a list: each standard check's decisions, the one reason →
/// reply table, and that a check added to the list runs at its stages in
/// order without the session knowing it.
@Suite struct IngressChecksTests {
    static func facts(ip: String = "192.0.2.9", auth: Set<String> = [], tls: Bool = false, spf: SPFResult = .none,
                      spfDomain: String = "example.org") -> TransactionFacts {
        TransactionFacts(connection: ConnectionFacts(clientIP: IPAddress(ip)), helo: "client.example", tls: tls,
                         authenticatedPolicyIDs: auth, mailFrom: "s@example.org",
                         spf: SPFLookup(finished: SPFVerdict(result: spf, domain: spfDomain)))
    }

    static func policy(_ edit: (inout SMTPSecurityPolicy) -> Void) -> SMTPSecurityPolicy {
        var policy = SMTPSecurityPolicy(id: "pol", accountID: "acct", name: "p", createdAt: Date())
        edit(&policy)
        return policy
    }

    func kind(_ answer: CheckAnswer) async -> String {
        switch await answer.decision() {
        case .accept: "accept"
        case let .reject(reason): "reject \(reason.kind)"
        case let .defer(reason): "defer \(reason.kind)"
        }
    }

    @Test func sourceIPCheck() async {
        let listed = Self.policy { $0.allowedSourceIPs = ["192.0.2.0/24"] }
        #expect(await kind(SourceIPCheck().rcpt(listed, Self.facts(ip: "192.0.2.200"))) == "accept")
        #expect(await kind(SourceIPCheck().rcpt(listed, Self.facts(ip: "198.51.100.1"))) == "reject sourceNotPermitted")
        #expect(await kind(SourceIPCheck().rcpt(Self.policy { _ in }, Self.facts(ip: "198.51.100.1"))) == "accept")
    }

    @Test func authCheck() async {
        let required = Self.policy { $0.requireSMTPAuth = true }
        #expect(await kind(AuthCheck().rcpt(required, Self.facts())) == "reject authenticationRequired")
        #expect(await kind(AuthCheck().rcpt(required, Self.facts(auth: ["other"]))) == "reject authenticationRequired")
        #expect(await kind(AuthCheck().rcpt(required, Self.facts(auth: ["pol"]))) == "accept")
    }

    @Test func spfCheck() async {
        let required = Self.policy { $0.requireSPF = true }
        #expect(await kind(SPFCheck().rcpt(required, Self.facts(spf: .pass))) == "accept")
        #expect(await kind(SPFCheck().rcpt(required, Self.facts(spf: .softfail))) == "reject spfFailed")
        #expect(await kind(SPFCheck().rcpt(required, Self.facts(spf: .temperror))) == "defer spfTemporary")
        let listed = Self.policy { $0.allowedSPFDomains = ["allowed.example"] }
        #expect(await kind(SPFCheck().rcpt(listed, Self.facts(spf: .pass, spfDomain: "other.example"))) == "reject spfFailed")
        #expect(await kind(SPFCheck().rcpt(listed, Self.facts(spf: .pass, spfDomain: "allowed.example"))) == "accept")
        // A policy without SPF rules accepts whatever the verdict.
        #expect(await kind(SPFCheck().rcpt(Self.policy { _ in }, Self.facts(spf: .fail))) == "accept")
    }

    @Test func dkimCheck() async {
        let required = Self.policy { $0.requireDKIM = true }
        func message(_ verdicts: [DKIMVerdict]) -> MessageFacts { MessageFacts(transaction: Self.facts(), dkim: verdicts) }
        let pass = DKIMVerdict(result: .pass, domain: "example.org", selector: "s", algorithm: "rsa-sha256", reason: nil)
        let temp = DKIMVerdict(result: .temperror, domain: "example.org", selector: "s", algorithm: "rsa-sha256", reason: "timeout")
        #expect(await kind(DKIMCheck().endOfData(required, message([pass]))) == "accept")
        #expect(await kind(DKIMCheck().endOfData(required, message([]))) == "reject dkimFailed")
        #expect(await kind(DKIMCheck().endOfData(required, message([temp]))) == "defer dkimTemporary")
        // DKIM has no RCPT-stage hook: the default accepts.
        #expect(await kind(DKIMCheck().rcpt(required, Self.facts())) == "accept")
    }

    @Test func oneTableWordsEveryRefusal() {
        let table: [(IngressRefusal, String?, Int, String, String)] = [
            (.check(CheckReason(.sourceNotPermitted, "x")), "a@b.example", 550, "5.7.1", "<a@b.example>: Client address not permitted"),
            (.check(CheckReason(.authenticationRequired, "x")), "a@b.example", 530, "5.7.0", "<a@b.example>: Authentication required"),
            (.check(CheckReason(.spfTemporary, "x")), "a@b.example", 451, "4.7.24", "<a@b.example>: SPF temporary error, try again later"),
            (.check(CheckReason(.spfFailed, "SPF fail for e.example")), "a@b.example", 550, "5.7.23",
             "<a@b.example>: SPF validation failed (SPF fail for e.example)"),
            (.check(CheckReason(.dkimTemporary, "x")), nil, 451, "4.7.5", "DKIM temporary error, try again later"),
            (.check(CheckReason(.dkimFailed, "x")), nil, 550, "5.7.20", "No passing DKIM signature found"),
            (.check(CheckReason(.dmarcTemporary, "x")), nil, 451, "4.7.5", "DMARC temporary error, try again later"),
            (.check(CheckReason(.dmarcFailed, "dmarc=fail")), nil, 550, "5.7.1",
             "Rejected by the DMARC policy of the author domain (dmarc=fail)"),
            (.unknownRecipient, "a@b.example", 550, "5.1.1", "<a@b.example>: Recipient address rejected: no such mailbox"),
            (.mailboxDisabled, "a@b.example", 550, "5.2.1", "<a@b.example>: Mailbox disabled, not accepting messages"),
            (.accountQuotaExceeded, nil, 452, "4.2.2", "Mailbox storage quota exceeded, try again later"),
            (.storageFull, "a@b.example", 452, "4.3.1", "Insufficient system storage, try again later"),
            (.lookupFailure, nil, 451, "4.3.0", "Temporary lookup failure, try again later"),
            (.storageFailure, nil, 451, "4.3.0", "Temporary storage failure, try again later"),
        ]
        for (refusal, recipient, code, enhanced, text) in table {
            let reply = refusal.reply(recipient: recipient)
            #expect(reply.code == code && reply.enhanced == enhanced && reply.lines == [text], "\(refusal)")
        }
    }

    /// A check of the client itself, as an operator might add (a DNS
    /// blocklist, say): it refuses one address at the connection stage and
    /// counts how often each of its hooks ran.
    final class BlockClient: IngressCheck {
        let name = "block_client"
        let blocked: IPAddress
        let calls = Mutex<[String]>([])

        init(_ blocked: String) { self.blocked = IPAddress(blocked)! }

        func connect(_ connection: ConnectionFacts) -> CheckAnswer {
            calls.withLock { $0.append("connect") }
            return .decided(connection.clientIP == blocked ? .reject(CheckReason(.sourceNotPermitted, "listed")) : .accept)
        }

        func mail(_ transaction: TransactionFacts) -> CheckAnswer {
            calls.withLock { $0.append("mail") }
            return .decided(.accept)
        }
    }

    func session(_ f: IngressSessionTests.Fixture, ip: String) -> LoopSession {
        LoopSession(f.backend, ip: ip)
    }

    @Test func anAddedCheckRunsAtItsStagesInOrder() async throws {
        let block = BlockClient("198.51.100.7")
        let f = try IngressSessionTests.Fixture(checks: [block] + IngressChecks.standard)
        _ = try IngressSessionTests.setUp(f)
        let context = SMTPTransactionContext(helo: "client.example", tls: false, authUser: nil)
        let sender = SMTPMailbox(localPart: "s", domain: "example.org")

        // The listed client: refused at MAIL FROM (the connection stage's
        // decision, kept for the connection), its MAIL hook never asked.
        let blocked = session(f, ip: "198.51.100.7")
        for _ in 0..<2 {
            let reply = await blocked.mail(from: sender, parameters: .init(), context: context)
            #expect(reply.code == 550 && reply.enhanced == "5.7.1")
        }
        #expect(block.calls.withLock { $0 } == ["connect"])

        // Another client passes; its connection stage runs once, MAIL each time.
        let other = session(f, ip: "192.0.2.9")
        #expect(await other.mail(from: sender, parameters: .init(), context: context).code == 250)
        #expect(await other.mail(from: sender, parameters: .init(), context: context).code == 250)
        #expect(block.calls.withLock { $0 } == ["connect", "connect", "mail", "mail"])
    }

    /// A check that defers at end of DATA: the whole message gets 451 and
    /// nothing is spooled.
    struct DeferEverything: IngressCheck {
        let name = "defer"
        func endOfData(_ policy: SMTPSecurityPolicy, _ message: MessageFacts) -> CheckAnswer {
            .decided(.defer(CheckReason(.dkimTemporary, "test")))
        }
    }

    @Test func anEndOfDataDeferralAnswersTheWholeMessage() async throws {
        let f = try IngressSessionTests.Fixture(checks: [DeferEverything()])
        _ = try IngressSessionTests.setUp(f)
        let (codes, reply, id) = await IngressSessionTests.run(f, rcpts: ["guarded@pub.example", "plain@pub.example"])
        #expect(codes == [250, 250])
        #expect(reply.code == 451 && reply.enhanced == "4.7.5")
        #expect(try f.store.read { try $0.get(SpooledMessage.self, id: id) } == nil)
    }
}
