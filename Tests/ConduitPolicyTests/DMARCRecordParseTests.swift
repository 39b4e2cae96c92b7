@testable import ConduitPolicy
import Testing

/// The DMARC Policy Record grammar (RFC 9989 §4.7, §4.8) and the author
/// domain read from `From:` (§3.2.2).
@Suite struct DMARCRecordParseTests {
    @Test func aFullRecord() throws {
        let record = try #require(DMARCRecord.parse(
            "v=DMARC1; p=reject; sp=quarantine; np=none; adkim=s; aspf=s; psd=n; t=y; rua=mailto:a@example.com, mailto:b@example.net; fo=1"
        ))
        #expect(record.policy == .reject)
        #expect(record.subdomainPolicy == .quarantine)
        #expect(record.nonExistentSubdomainPolicy == DMARCPolicy.none)
        #expect(record.dkimAlignment == .strict)
        #expect(record.spfAlignment == .strict)
        #expect(record.publicSuffix == .no)
        #expect(record.testing)
        #expect(record.aggregateReportURIs == ["mailto:a@example.com", "mailto:b@example.net"])
        #expect(!record.hasInvalidPolicy)
    }

    @Test func defaults() throws {
        let record = try #require(DMARCRecord.parse("v=DMARC1"))
        #expect(record.policy == nil)
        #expect(record.subdomainPolicy == nil)
        #expect(record.nonExistentSubdomainPolicy == nil)
        #expect(record.dkimAlignment == .relaxed)
        #expect(record.spfAlignment == .relaxed)
        #expect(record.publicSuffix == .unknown)
        #expect(!record.testing)
    }

    @Test func onlyVDMARC1FirstMakesARecord() {
        #expect(DMARCRecord.parse("v=DMARC1;p=none") != nil)
        #expect(DMARCRecord.parse("V = DMARC1 ;p=none") != nil)
        #expect(DMARCRecord.parse("v=DMARC1 ; p=none;") != nil)
        #expect(DMARCRecord.parse("v=dmarc1; p=none") == nil)  // DMARC1 is case-sensitive (§4.8 ABNF %x)
        #expect(DMARCRecord.parse("v=DMARC2; p=none") == nil)
        #expect(DMARCRecord.parse("p=none; v=DMARC1") == nil)
        #expect(DMARCRecord.parse(" v=DMARC1; p=none") == nil)
        #expect(DMARCRecord.parse("v=spf1 -all") == nil)
        #expect(DMARCRecord.parse("") == nil)
        #expect(DMARCRecord.parse("v=DMARC1p=none") == nil)
    }

    @Test func caseAndWhitespace() throws {
        let record = try #require(DMARCRecord.parse("v=DMARC1;\tP = Reject ;SP=QUARANTINE;  ADKIM = S ;psd=Y;T=Y"))
        #expect(record.policy == .reject)
        #expect(record.subdomainPolicy == .quarantine)
        #expect(record.dkimAlignment == .strict)
        #expect(record.publicSuffix == .yes)
        #expect(record.testing)
    }

    @Test func unknownAndRemovedTagsAreIgnored() throws {
        let record = try #require(DMARCRecord.parse("v=DMARC1; p=quarantine; pct=20; rf=afrf; ri=3600; future=yes; x; =y"))
        #expect(record.policy == .quarantine)
        #expect(!record.hasInvalidPolicy)
    }

    @Test func invalidValuesFallBackToDefaults() throws {
        let record = try #require(DMARCRecord.parse("v=DMARC1; p=none; adkim=x; aspf=; psd=maybe; t=yes"))
        #expect(record.dkimAlignment == .relaxed)
        #expect(record.spfAlignment == .relaxed)
        #expect(record.publicSuffix == .unknown)
        #expect(!record.testing)
    }

    @Test func invalidPolicyIsFlaggedAndRuaChecked() throws {
        let withRua = try #require(DMARCRecord.parse("v=DMARC1; p=bogus; rua=mailto:r@example.com"))
        #expect(withRua.hasInvalidPolicy)
        #expect(withRua.hasValidAggregateReportURI)
        let badRua = try #require(DMARCRecord.parse("v=DMARC1; sp=never; rua=not a uri,:x"))
        #expect(badRua.hasInvalidPolicy)
        #expect(!badRua.hasValidAggregateReportURI)
        let sized = try #require(DMARCRecord.parse("v=DMARC1; np=; rua=mailto:r@example.com!10m"))
        #expect(sized.hasInvalidPolicy)
        #expect(sized.hasValidAggregateReportURI)
    }

    @Test func theFirstOfRepeatedTagsCounts() throws {
        let record = try #require(DMARCRecord.parse("v=DMARC1; p=reject; p=none"))
        #expect(record.policy == .reject)
    }

    @Test func testModeIsOneLevelLessStrict() {
        #expect(DMARCPolicy.reject.oneLevelLessStrict == .quarantine)
        #expect(DMARCPolicy.quarantine.oneLevelLessStrict == DMARCPolicy.none)
        #expect(DMARCPolicy.none.oneLevelLessStrict == DMARCPolicy.none)
    }

    // MARK: From:

    @Test func authorDomainOfOneAddress() {
        for value in [
            " alice@Example.COM\r\n", " Alice <alice@example.com>", " \"Smith, Alice\" <alice@example.com> (work)",
            " (comment) alice@example.com.", "\r\n\tAlice\r\n <alice@example.com>", " \"a@b\"@example.com",
            " Friends: alice@example.com;", " <@relay.example.net:alice@example.com>",
        ] {
            #expect(DMARCAuthorDomain.of(fromFieldValues: [value]) == .success("example.com"), "\(value)")
        }
    }

    @Test func noneOrSeveralAddressesArePermerrors() {
        #expect(DMARCAuthorDomain.of(fromFieldValues: []) == .failure(.noFromField))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" a@example.com", " b@example.com"]) == .failure(.severalFromFields(2)))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" a@example.com, b@example.org"]) == .failure(.severalAddresses(2)))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" Team: a@example.com, b@example.com;"]) == .failure(.severalAddresses(2)))
        // An unquoted comma in a display name splits the list: two entries, not one address.
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" Smith, John <john@example.com>"]) == .failure(.severalAddresses(2)))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" undisclosed-recipients:;"]) == .failure(.noAddress))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" Alice"]) == .failure(.noAddress))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [""]) == .failure(.noAddress))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" a@[192.0.2.1]"]) == .failure(.unusableDomain("[192.0.2.1]")))
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" a@exa mple..com"]) == .failure(.unusableDomain("example..com")))
    }

    @Test func internationalizedDomainsBecomeALabels() {
        #expect(DMARCAuthorDomain.of(fromFieldValues: [" a@bücher.example"]) == .success("xn--bcher-kva.example"))
    }

    @Test func fromFieldsOfAHeaderBlock() {
        let block = Array("Subject: x\r\nFrom: a@one.example\r\nTo: b@two.example\r\n\r\n".utf8)
        #expect(DMARCAuthorDomain.of(headerBlock: block) == .success("one.example"))
        let two = Array("From: a@one.example\nfrom: a@one.example\n\n".utf8)
        #expect(DMARCAuthorDomain.of(headerBlock: two) == .failure(.severalFromFields(2)))
    }
}
