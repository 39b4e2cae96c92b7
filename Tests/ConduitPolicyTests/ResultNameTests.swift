import ConduitPolicy
import Testing

@Suite struct ResultNameTests {
    /// `conduit spf` / `conduit dkim` print these names; the conformance suites parse them.
    @Test func resultNamesAreTheRFCs() {
        #expect(SPFResult.allCases.map(\.rawValue) == ["pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"])
        #expect(DKIMResult(rawValue: "pass") == .pass)
        #expect(DKIMResult(rawValue: "temperror") == .temperror)
    }
}
