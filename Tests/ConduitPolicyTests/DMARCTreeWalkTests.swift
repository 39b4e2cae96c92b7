@testable import ConduitPolicy
import ConduitDNS
import Testing

/// The DNS Tree Walk (RFC 9989 §4.10) over a scripted in-memory DNS:
/// which names are asked, policy discovery, the Organizational Domain.
@Suite struct DMARCTreeWalkTests {
    func dmarcQueries(_ dns: FakeDNS) -> [String] {
        dns.queries.filter { $0.hasPrefix("TXT _dmarc.") }.map { String($0.dropFirst("TXT _dmarc.".count)) }
    }

    @Test func targetsOfShortAndLongNames() {
        #expect(DMARCTreeWalk.targets(from: "a.b.example.com") == ["a.b.example.com", "b.example.com", "example.com", "com"])
        #expect(DMARCTreeWalk.targets(from: "com") == ["com"])
        let eight = "a.b.c.d.e.f.example.com"
        #expect(DMARCTreeWalk.targets(from: eight).count == 8)
        #expect(DMARCTreeWalk.targets(from: eight)[1] == "b.c.d.e.f.example.com")
        let long = "1.2.3.4.5.6.7.8.9.10.a.b.c.d.example.com"
        let targets = DMARCTreeWalk.targets(from: long)
        #expect(targets.count == DMARCTreeWalk.maxQueries)
        #expect(targets == [long, "10.a.b.c.d.example.com", "a.b.c.d.example.com", "b.c.d.example.com",
                            "c.d.example.com", "d.example.com", "example.com", "com"])
    }

    @Test func aLongNameCostsAtMostEightQueries() async {
        let dns = FakeDNS([:])
        let walk = DMARCTreeWalk(resolver: dns)
        let name = (1...20).map { "l\($0)" }.joined(separator: ".") + ".example.com"
        #expect(await walk.discoverPolicy(for: name) == .notFound)
        #expect(await walk.organizationalDomain(of: name) == name)
        #expect(dmarcQueries(dns).count == 8)
        #expect(dmarcQueries(dns)[1] == "l16.l17.l18.l19.l20.example.com")
    }

    @Test func theAuthorDomainsOwnRecordIsThePolicy() async {
        let dns = FakeDNS(["_dmarc.mail.example.com": [.txt("v=DMARC1; p=reject")], "_dmarc.example.com": [.txt("v=DMARC1; p=none")]])
        let walk = DMARCTreeWalk(resolver: dns)
        guard case let .found(domain, record) = await walk.discoverPolicy(for: "mail.example.com") else { Issue.record("not found"); return }
        #expect(domain == "mail.example.com")
        #expect(record.policy == .reject)
        #expect(dmarcQueries(dns) == ["mail.example.com"])
        // The Organizational Domain is the record with the fewest labels.
        #expect(await walk.organizationalDomain(of: "mail.example.com") == "example.com")
        #expect(dmarcQueries(dns) == ["mail.example.com", "example.com", "com"])  // each name asked once
    }

    @Test func withoutAnOwnRecordTheOrganizationalDomainsRecordApplies() async {
        let dns = FakeDNS([
            "_dmarc.b.example.com": [.txt("v=DMARC1; p=quarantine")],
            "_dmarc.example.com": [.txt("v=DMARC1; p=reject")],
        ])
        let walk = DMARCTreeWalk(resolver: dns)
        #expect(await walk.discoverPolicy(for: "a.b.example.com") == .found(domain: "example.com", record: DMARCRecord.parse("v=DMARC1; p=reject")!))
        #expect(await walk.organizationalDomain(of: "a.b.example.com") == "example.com")
    }

    @Test func psdNStopsTheWalk() async {
        let dns = FakeDNS([
            "_dmarc.b.example.com": [.txt("v=DMARC1; p=quarantine; psd=n")],
            "_dmarc.example.com": [.txt("v=DMARC1; p=reject")],
        ])
        let walk = DMARCTreeWalk(resolver: dns)
        #expect(await walk.organizationalDomain(of: "a.b.example.com") == "b.example.com")
        guard case let .found(domain, _) = await walk.discoverPolicy(for: "a.b.example.com") else { Issue.record("not found"); return }
        #expect(domain == "b.example.com")
        #expect(dmarcQueries(dns) == ["a.b.example.com", "b.example.com"])
    }

    @Test func psdYMakesTheNameOneLabelBelowTheOrganizationalDomain() async {
        let dns = FakeDNS([
            "_dmarc.example.psd": [.txt("v=DMARC1; p=reject")],
            "_dmarc.psd": [.txt("v=DMARC1; p=quarantine; psd=y")],
        ])
        let walk = DMARCTreeWalk(resolver: dns)
        #expect(await walk.organizationalDomain(of: "x.y.example.psd") == "example.psd")
        #expect(await walk.discoverPolicy(for: "x.y.example.psd") == .found(domain: "example.psd", record: DMARCRecord.parse("v=DMARC1; p=reject")!))
        // No record one label below: the org domain is still that name, the PSD's record applies.
        #expect(await walk.organizationalDomain(of: "x.other.psd") == "other.psd")
        guard case let .found(domain, record) = await walk.discoverPolicy(for: "x.other.psd") else { Issue.record("not found"); return }
        #expect(domain == "psd")
        #expect(record.publicSuffix == .yes)
    }

    @Test func psdYOnTheStartingNameIsNotABoundary() async {
        let dns = FakeDNS(["_dmarc.gov.example": [.txt("v=DMARC1; p=none; psd=y")], "_dmarc.example": [.txt("v=DMARC1; p=reject")]])
        let walk = DMARCTreeWalk(resolver: dns)
        #expect(await walk.organizationalDomain(of: "gov.example") == "example")
        #expect(await walk.organizationalDomain(of: "agency.gov.example") == "agency.gov.example")
    }

    @Test func noRecordAnywhereMakesTheNameItsOwnOrganizationalDomain() async {
        let walk = DMARCTreeWalk(resolver: FakeDNS(["example.com": [.a("192.0.2.1")]]))
        #expect(await walk.discoverPolicy(for: "www.example.com") == .notFound)
        #expect(await walk.organizationalDomain(of: "www.example.com") == "www.example.com")
    }

    @Test func otherAndSeveralRecordsAreNoRecord() async {
        let dns = FakeDNS([
            "_dmarc.a.example.com": [.txt("v=DMARC1; p=reject"), .txt("v=DMARC1; p=none")],
            "_dmarc.example.com": [.txt("some verification=1"), .txt("v=DMARC1; p=quarantine")],
        ])
        let walk = DMARCTreeWalk(resolver: dns)
        #expect(await walk.level("a.example.com") == .noRecord)
        #expect(await walk.discoverPolicy(for: "a.example.com") == .found(domain: "example.com", record: DMARCRecord.parse("v=DMARC1; p=quarantine")!))
    }

    @Test func temporaryFailuresAreReported() async {
        let failing = FakeDNS(["_dmarc.example.com": [.timeout(.txt)]])
        let walk = DMARCTreeWalk(resolver: failing)
        guard case .temporaryFailure = await walk.discoverPolicy(for: "a.example.com") else { Issue.record("no failure"); return }
        #expect(await walk.organizationalDomain(of: "a.example.com") == nil)
        // A failure above a psd=n record is never reached.
        let stopped = DMARCTreeWalk(resolver: FakeDNS([
            "_dmarc.a.example.com": [.txt("v=DMARC1; psd=n")], "_dmarc.example.com": [.timeout(.txt)],
        ]))
        #expect(await stopped.organizationalDomain(of: "a.example.com") == "a.example.com")
        // The author domain's own record needs no walk above it.
        let own = DMARCTreeWalk(resolver: FakeDNS(["_dmarc.a.example.com": [.txt("v=DMARC1; p=reject")], "_dmarc.com": [.timeout(.txt)]]))
        guard case .found = await own.discoverPolicy(for: "a.example.com") else { Issue.record("not found"); return }
    }
}
