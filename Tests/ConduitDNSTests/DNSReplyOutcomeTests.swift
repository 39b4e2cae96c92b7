import ConduitCore
import Testing
@testable import ConduitDNS

@Suite struct DNSReplyOutcomeTests {
    private let name = DNSName("Example.com")!

    private func reply(rcode: UInt16 = 0, _ answers: [DNSRecord], authority: [DNSRecord] = []) -> DNSMessage {
        DNSMessage(id: 1, isResponse: true, rcode: rcode, questions: [DNSQuestion(name: "example.com", type: 1)], answers: answers, authority: authority)
    }

    private func a(_ owner: String, _ address: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: owner, type: 1, ttl: ttl, data: .a(IPAddress(address)!))
    }

    private func cname(_ owner: String, _ target: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: owner, type: 5, ttl: ttl, data: .cname(target))
    }

    @Test func directAnswerIgnoresOtherOwnersAndTypes() {
        let records = [a("EXAMPLE.com", "192.0.2.1", ttl: 50), a("example.com", "192.0.2.2", ttl: 70)]
        let message = reply(records + [a("evil.example", "203.0.113.1"), DNSRecord(name: "example.com", type: 16, ttl: 1, data: .txt([]))])
        #expect(DNSReplyOutcome.interpret(message, name: name, type: 1, hopBudget: 8) == .records(records, ttl: 50, hops: 0))
    }

    @Test func chainInOneReply() {
        let target = a("c.example", "192.0.2.3", ttl: 900)
        let message = reply([cname("b.example", "c.example", ttl: 30), target, cname("example.com", "b.example", ttl: 600)])
        #expect(DNSReplyOutcome.interpret(message, name: name, type: 1, hopBudget: 8) == .records([target], ttl: 30, hops: 2))
        #expect(DNSReplyOutcome.interpret(message, name: name, type: 5, hopBudget: 8)
            == .records([cname("example.com", "b.example", ttl: 600)], ttl: 600, hops: 0))
    }

    @Test func chainEndingWithoutRecordsAsksAgain() {
        let message = reply([cname("example.com", "b.example", ttl: 40)])
        #expect(DNSReplyOutcome.interpret(message, name: name, type: 1, hopBudget: 8)
            == .alias(target: DNSName("b.example")!, names: [DNSName("example.com")!, DNSName("b.example")!], ttl: 40, hops: 1))
    }

    @Test func loopsAndLongChainsFail() {
        let loop = reply([cname("example.com", "b.example"), cname("b.example", "EXAMPLE.com")])
        #expect(DNSReplyOutcome.interpret(loop, name: name, type: 1, hopBudget: 8) == .failure("CNAME loop at example.com"))
        let chain = (0..<9).map { cname($0 == 0 ? "example.com" : "h\($0).example", "h\($0 + 1).example") }
        guard case .failure = DNSReplyOutcome.interpret(reply(chain), name: name, type: 1, hopBudget: 8) else {
            Issue.record("a 9-hop chain was accepted")
            return
        }
        guard case .alias = DNSReplyOutcome.interpret(reply(Array(chain.prefix(8))), name: name, type: 1, hopBudget: 8) else {
            Issue.record("an 8-hop chain was refused")
            return
        }
    }

    @Test func negativeAnswersAndTheirTTL() {
        let soaData = Wire.name("ns.example") + Wire.name("admin.example") + Wire.u32(1) + Wire.u32(2) + Wire.u32(3) + Wire.u32(4) + Wire.u32(120)
        let soa = DNSRecord(name: "example.com", type: 6, ttl: 7200, data: .other(type: 6, data: soaData))
        #expect(DNSReplyOutcome.interpret(reply(rcode: 3, [], authority: [soa]), name: name, type: 1, hopBudget: 8) == .nxdomain(ttl: 120))
        #expect(DNSReplyOutcome.interpret(reply([], authority: [soa]), name: name, type: 1, hopBudget: 8) == .nodata(ttl: 120))
        #expect(DNSReplyOutcome.interpret(reply([]), name: name, type: 1, hopBudget: 8) == .nodata(ttl: 60))
        let bigMinimum = DNSRecord(name: "example.com", type: 6, ttl: 86_400, data: .other(type: 6, data: Array(soaData.dropLast(4)) + Wire.u32(86_400)))
        #expect(DNSReplyOutcome.negativeCacheTTL(reply([], authority: [bigMinimum])) == 3600)
        // NXDOMAIN at the end of a chain is the chain's answer (RFC 6604).
        #expect(DNSReplyOutcome.interpret(reply(rcode: 3, [cname("example.com", "gone.example", ttl: 10)]), name: name, type: 1, hopBudget: 8)
            == .nxdomain(ttl: 10))
    }

    @Test func replyMatching() {
        let query = DNSMessage.query(id: 42, name: "Example.COM", type: 16)
        var good = DNSMessage(id: 42, isResponse: true, questions: [DNSQuestion(name: "example.com.", type: 16)])
        #expect(DNSResolver.answers(good, query))
        good.id = 43
        #expect(!DNSResolver.answers(good, query))
        #expect(!DNSResolver.answers(DNSMessage(id: 42, isResponse: false, questions: query.questions), query))
        #expect(!DNSResolver.answers(DNSMessage(id: 42, isResponse: true, questions: [DNSQuestion(name: "example.org", type: 16)]), query))
        #expect(!DNSResolver.answers(DNSMessage(id: 42, isResponse: true, questions: [DNSQuestion(name: "example.com", type: 1)]), query))
        #expect(!DNSResolver.answers(DNSMessage(id: 42, isResponse: true, questions: query.questions + query.questions), query))
        // Without the question: only as a truncation or error signal.
        #expect(!DNSResolver.answers(DNSMessage(id: 42, isResponse: true), query))
        #expect(DNSResolver.answers(DNSMessage(id: 42, isResponse: true, isTruncated: true), query))
        #expect(DNSResolver.answers(DNSMessage(id: 42, isResponse: true, rcode: 5), query))
    }
}
