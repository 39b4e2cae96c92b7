@testable import ConduitPolicy
import Testing

/// Reading ARC fields and the chain structure of RFC 8617 §5.2 steps 1–3:
/// no DNS and no signature is needed to fail these.
@Suite struct ARCChainTests {
    /// One ARC set with placeholder signatures, `cv` as given.
    static func set(_ instance: Int, cv: String? = nil, seal: Bool = true, signature: Bool = true, results: Bool = true) -> String {
        var text = ""
        if seal {
            text += "ARC-Seal: i=\(instance); cv=\(cv ?? (instance == 1 ? "none" : "pass")); a=rsa-sha256; d=example.org; s=arc; b=AAAA\r\n"
        }
        if signature {
            text += "ARC-Message-Signature: i=\(instance); a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=arc;\r\n h=from; bh=AAAA; b=AAAA\r\n"
        }
        if results { text += "ARC-Authentication-Results: i=\(instance); mx.example.org; spf=pass\r\n" }
        return text
    }

    static let tail = "From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n"

    /// The chain of `header + tail`, or the reason it is broken.
    static func chain(_ header: String) -> Result<ARCChain?, ARCChain.Broken> {
        Result { () throws(ARCChain.Broken) in try ARCChain(DKIMMessage(Array((header + tail).utf8))) }
    }

    static func broken(_ header: String) -> ARCChain.Broken? {
        if case let .failure(broken) = chain(header) { return broken }
        return nil
    }

    // MARK: reading fields

    @Test func readsTheInstanceOfEachKind() throws {
        let message = DKIMMessage(Array((Self.set(7, cv: "pass") + Self.tail).utf8))
        let fields = try message.fields.compactMap { field throws(ARCHeaderField.Unreadable) in try ARCHeaderField(field) }
        #expect(fields.map(\.kind) == [.seal, .messageSignature, .authenticationResults])
        #expect(fields.map(\.instance) == [7, 7, 7])
        #expect(fields[0].tags?["cv"] == "pass")
        #expect(fields[2].tags == nil)
    }

    @Test(arguments: [
        ("i=3; mx.example.org; spf=pass", 3),
        ("  i = 12 ;mx.example.org", 12),
        ("\r\n\ti=\r\n 4;\r\n mx.example.org; none", 4),
        ("i=07; mx", 7),
    ])
    func readsAuthenticationResultsInstances(value: String, instance: Int) throws {
        let field = try #require(try Self.field("ARC-Authentication-Results: \(value)\r\n"))
        #expect(field.instance == instance)
    }

    @Test(arguments: [
        "mx.example.org; i=1; spf=pass",  // i= must come first
        "i=1 mx.example.org",  // no ';' after the instance
        "i=0; mx",
        "i=100; mx",  // 1*2DIGIT
        "i=; mx",
        "i=x; mx",
        "I=1; mx",  // tag names are case-sensitive
    ])
    func refusesOtherAuthenticationResults(value: String) {
        #expect(throws: ARCHeaderField.Unreadable.self) { try Self.field("ARC-Authentication-Results: \(value)\r\n") }
    }

    @Test(arguments: [
        "ARC-Seal: cv=none; a=rsa-sha256; d=x; s=y; b=AAAA\r\n",  // no i=
        "ARC-Seal: i=1; i=2; b=AAAA\r\n",  // a tag twice: not a tag list
        "ARC-Message-Signature: i=-1; a=rsa-sha256\r\n",
    ])
    func refusesSignaturesWithoutAnInstance(text: String) {
        #expect(throws: ARCHeaderField.Unreadable.self) { try Self.field(text) }
    }

    @Test func otherFieldsAreNotARC() throws {
        #expect(try Self.field("Authentication-Results: mx; arc=pass\r\n") == nil)
        #expect(try Self.field("DKIM-Signature: v=1; i=1\r\n") == nil)
    }

    static func field(_ text: String) throws(ARCHeaderField.Unreadable) -> ARCHeaderField? {
        let message = DKIMMessage(Array((text + "\r\n").utf8))
        return try ARCHeaderField(message.fields[0])
    }

    // MARK: structure (§5.2 steps 1–3)

    @Test func noARCFieldIsNone() throws {
        #expect(try Self.chain("").get() == nil)
    }

    @Test func contiguousSetsMakeAChainInInstanceOrder() throws {
        // Sets out of header order still line up by instance.
        let chain = try #require(try Self.chain(Self.set(2) + Self.set(3) + Self.set(1)).get())
        #expect(chain.count == 3)
        #expect(chain.sets.map(\.instance) == [1, 2, 3])
        #expect(chain.sets.map(\.seal.instance) == [1, 2, 3])
    }

    @Test func aGapFails() {
        let broken = Self.broken(Self.set(3) + Self.set(1))
        #expect(broken == ARCChain.Broken(reason: "ARC set i=2 has no ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal", instances: 3))
    }

    @Test func aChainWithoutInstance1Fails() {
        #expect(Self.broken(Self.set(2))?.reason == "ARC set i=1 has no ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal")
    }

    @Test func aDuplicateFieldFails() {
        let twice = Self.set(2) + "ARC-Authentication-Results: i=1; other.example; none\r\n" + Self.set(1)
        #expect(Self.broken(twice) == ARCChain.Broken(reason: "two ARC-Authentication-Results fields with i=1", instances: 2))
        #expect(Self.broken(Self.set(1) + Self.set(1))?.reason == "two ARC-Seal fields with i=1")
    }

    @Test(arguments: [
        (false, true, true, "ARC-Seal"), (true, false, true, "ARC-Message-Signature"), (true, true, false, "ARC-Authentication-Results"),
    ])
    func aMissingFieldFails(seal: Bool, signature: Bool, results: Bool, missing: String) {
        let header = Self.set(2, seal: seal, signature: signature, results: results) + Self.set(1)
        #expect(Self.broken(header) == ARCChain.Broken(reason: "ARC set i=2 has no \(missing)", instances: 2))
    }

    @Test func fiftySetsAreAllowedFiftyOneAreNot() throws {
        let fifty = (1...50).reversed().map { Self.set($0) }.joined()
        #expect(try Self.chain(fifty).get()?.count == 50)
        let broken = Self.broken(Self.set(51) + fifty)
        #expect(broken == ARCChain.Broken(reason: "i=51 is above the limit of 50 ARC sets", instances: 51))
    }

    @Test func instance1MustSayCvNone() {
        #expect(Self.broken(Self.set(1, cv: "pass")) == ARCChain.Broken(reason: "ARC-Seal i=1 has cv=pass, not none", instances: 1))
    }

    @Test func laterInstancesMustSayCvPass() {
        #expect(Self.broken(Self.set(2, cv: "none") + Self.set(1))?.reason == "ARC-Seal i=2 has cv=none, not pass")
        #expect(Self.broken(Self.set(3) + Self.set(2, cv: "fail") + Self.set(1))?.reason == "ARC-Seal i=2 has cv=fail, not pass")
        #expect(Self.broken(Self.set(2, cv: "maybe") + Self.set(1))?.reason == "ARC-Seal i=2 has cv=maybe, not pass")
    }

    @Test func aMissingCvFails() {
        let header = "ARC-Seal: i=1; a=rsa-sha256; d=example.org; s=arc; b=AAAA\r\n" + Self.set(1, seal: false)
        #expect(Self.broken(header)?.reason == "ARC-Seal i=1 has cv=(missing), not none")
    }

    @Test func cvIsCaseInsensitive() throws {
        #expect(try Self.chain(Self.set(2, cv: "Pass") + Self.set(1, cv: "NONE")).get()?.count == 2)
    }

    @Test func theNewestSealSayingFailEndsTheChain() {
        // Step 2 comes before the structure: the missing instance 1 is not the reason.
        let broken = Self.broken(Self.set(2, cv: "fail"))
        #expect(broken == ARCChain.Broken(reason: "ARC-Seal i=2 has cv=fail", instances: 2))
    }

    @Test func anUnreadableFieldFailsTheChain() {
        let header = "ARC-Authentication-Results: mx.example.org; spf=pass\r\n" + Self.set(1)
        #expect(Self.broken(header) == ARCChain.Broken(reason: "ARC-Authentication-Results does not start with i=", instances: 1))
        #expect(Self.broken("ARC-Seal: i=1; cv\r\n")?.instances == 0)
    }

    // MARK: what a seal signs (§5.1.1)

    @Test func aSealSignsTheSetsByInstanceEachAARThenAMSThenAS() throws {
        // Header order newest first, with set 1 in the middle: selection is by i=.
        let header = Self.set(2) + "X-Other: 1\r\n" + Self.set(1)
        let message = DKIMMessage(Array((header + Self.tail).utf8))
        let chain = try #require(try ARCChain(message))
        let seal = try DKIMSignature(tags: chain.sets[1].seal.tags!, now: 0, kind: .arcSeal)
        let data = String(decoding: ARCSealData.data(sets: chain.sets[...], seal: seal, in: message), as: UTF8.self)
        let expected = [
            "arc-authentication-results:i=1; mx.example.org; spf=pass",
            "arc-message-signature:i=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=arc; h=from; bh=AAAA; b=AAAA",
            "arc-seal:i=1; cv=none; a=rsa-sha256; d=example.org; s=arc; b=AAAA",
            "arc-authentication-results:i=2; mx.example.org; spf=pass",
            "arc-message-signature:i=2; a=rsa-sha256; c=relaxed/relaxed; d=example.org; s=arc; h=from; bh=AAAA; b=AAAA",
            "arc-seal:i=2; cv=pass; a=rsa-sha256; d=example.org; s=arc; b=",
        ].joined(separator: "\r\n")
        #expect(data == expected)
        // The seal of instance 1 covers set 1 only.
        let first = try DKIMSignature(tags: chain.sets[0].seal.tags!, now: 0, kind: .arcSeal)
        let firstData = String(decoding: ARCSealData.data(sets: chain.sets[..<1], seal: first, in: message), as: UTF8.self)
        #expect(firstData.hasSuffix("arc-seal:i=1; cv=none; a=rsa-sha256; d=example.org; s=arc; b="))
        #expect(!firstData.contains("i=2"))
    }

    // MARK: ARC's tag rules on DKIM signatures

    @Test(arguments: [
        ("i=1; cv=none; a=rsa-sha256; d=x.example; s=s; h=from; b=AAAA", "h= is not allowed in an ARC-Seal"),
        ("i=1; cv=none; a=rsa-sha256; d=x.example; s=s; bh=AAAA; b=AAAA", "bh= is not allowed in an ARC-Seal"),
        ("i=1; a=rsa-sha256; d=x.example; s=s; b=AAAA", "cv= is missing"),
        ("i=1; cv=none; a=rsa-sha1; d=x.example; s=s; b=AAAA", "rsa-sha1 is not allowed in ARC (RFC 8301)"),
    ])
    func sealTagRules(value: String, reason: String) throws {
        let tags = try DKIMTagList(parsing: Array(value.utf8)[...])
        #expect(throws: DKIMFailure.permerror(reason)) { try DKIMSignature(tags: tags, now: 0, kind: .arcSeal) }
    }

    @Test func messageSignatureTagRules() throws {
        let ok = try DKIMTagList(parsing: Array("i=2; a=rsa-sha256; d=X.example; s=s; h=from:to; bh=AAAA; b=AAAA".utf8)[...])
        let signature = try DKIMSignature(tags: ok, now: 0, kind: .arcMessageSignature)
        // i= is the instance, not an identity; c= defaults as DKIM's (simple/simple).
        #expect(signature.identityDomain == "x.example")
        #expect(signature.headerCanonicalization == .simple)
        let sealed = try DKIMTagList(parsing: Array("i=2; a=rsa-sha256; d=x; s=s; h=from:arc-seal; bh=AAAA; b=AAAA".utf8)[...])
        #expect(throws: DKIMFailure.permerror("h= includes ARC-Seal")) {
            try DKIMSignature(tags: sealed, now: 0, kind: .arcMessageSignature)
        }
        let noInstance = try DKIMTagList(parsing: Array("a=rsa-sha256; d=x; s=s; h=from; bh=AAAA; b=AAAA".utf8)[...])
        #expect(throws: DKIMFailure.permerror("i= is missing")) {
            try DKIMSignature(tags: noInstance, now: 0, kind: .arcMessageSignature)
        }
    }
}
