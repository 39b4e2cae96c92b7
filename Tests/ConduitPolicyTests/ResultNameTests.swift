import ConduitPolicy
import Testing

@Suite struct ResultNameTests {
    /// `conduit spf` / `conduit dkim` / `conduit dmarc` print these names; the conformance suites parse them.
    @Test func resultNamesAreTheRFCs() {
        #expect(SPFResult.allCases.map(\.rawValue) == ["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"])
        #expect(DKIMResult(rawValue: "pass") == .pass)
        #expect(DKIMResult(rawValue: "temperror") == .temperror)
        // RFC 8601 §2.7.1 / RFC 9989 §4.9; `conduit dmarc` prints them and scripts/dmarc-oracle.py parses them.
        #expect(DMARCResult.allCases.map(\.rawValue) == ["pass", "fail", "none", "temperror", "permerror"])
        #expect(DMARCPolicy.allCases.map(\.rawValue) == ["none", "quarantine", "reject"])
    }
}
