import ConduitCore
import ConduitDNS
@_spi(Fuzzing) import ConduitPolicy
import Foundation
import Logging

/// Logs go nowhere: a fuzzer runs millions of inputs.
let fuzzLogger = Logger(label: "conduit.fuzz", factory: { _ in SwiftLogNoOpLogHandler() })

/// A fixed clock, so `t=`/`x=` decisions replay.
let fuzzNow = Date(timeIntervalSince1970: 1_700_000_000)

/// SPF: sections (`FuzzInput`): first `ip`, `MAIL FROM` and `HELO` on three
/// lines, then the DNS answers (`FuzzResolver`). Every answer is also parsed
/// as an SPF record, and `check_host()` runs for the MAIL FROM and the HELO
/// identity.
enum SPFFuzzTarget {
    static func run(_ input: [UInt8]) async {
        let sections = FuzzInput.sections(input)
        let lines = sections[0].split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        let ip = IPAddress(lines.first ?? "") ?? IPAddress("192.0.2.1")!
        let mailFrom = lines.count > 1 ? lines[1] : "sender@example.com"
        let helo = lines.count > 2 ? lines[2] : "mail.example.com"
        let answers = Array(sections.dropFirst())
        for answer in answers { _ = PolicyFuzzing.parseSPFRecord(answer) }
        let checker = SPFChecker(resolver: FuzzResolver(answers: answers), logger: fuzzLogger, receiver: "mx.fuzz.test")
        _ = await checker.check(ip: ip, mailFrom: mailFrom, helo: helo)
    }
}

/// DKIM: sections: first the message, then the DNS answers (key records).
/// Every signature field is parsed as each kind of signature with every
/// answer as its key record; the message is verified in one piece and with
/// its body streamed in chunks split at input-derived offsets.
///
/// Promises checked: the streaming canonicalizer gives the one-shot
/// canonical body however the body is split (`PolicyFuzzing`), and so the
/// verdicts do not depend on the chunking either.
enum DKIMFuzzTarget {
    static func run(_ input: [UInt8]) async {
        let sections = FuzzInput.sections(input)
        let message = sections[0]
        let answers = Array(sections.dropFirst())
        let headerLength = PolicyFuzzing.headerBlockLength(message)
        let headerBlock = Array(message[..<headerLength])
        let body = Array(message[headerLength...])
        let splits = FuzzInput.splits(count: body.count, seed: body[...])
        _ = PolicyFuzzing.parseSignatures(headerBlock: headerBlock, keyRecords: answers, now: Int64(fuzzNow.timeIntervalSince1970))
        PolicyFuzzing.checkBodyCanonicalizer(body, splits: splits)

        let verifier = DKIMVerifier(resolver: FuzzResolver(answers: answers), logger: fuzzLogger)
        let whole = await verifier.verify(message: message, now: fuzzNow)
        let hasher = DKIMBodyHasher(headerBlock: headerBlock)
        var start = 0
        for end in splits + [body.count] where end > start {
            body[start..<end].withUnsafeBytes { hasher.update($0) }
            start = end
        }
        let streamed = await verifier.verify(headerBlock: headerBlock, bodyHashes: hasher.finish(), now: fuzzNow)
        precondition(whole == streamed, "DKIM verdicts depend on how the body arrives")
    }
}

/// DMARC: sections: first one line `spf-result spf-domain dkim-result
/// dkim-domain` (the SPF and DKIM verdicts DMARC aligns; missing words
/// leave them out), then the message, then the DNS answers. Every answer is
/// parsed as a DMARC record; the message is evaluated (author domain from
/// its `From:`, the tree walk over the answers).
enum DMARCFuzzTarget {
    static func run(_ input: [UInt8]) async {
        let sections = FuzzInput.sections(input)
        let words = sections[0].split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
        let spf = words.count >= 2 ? SPFVerdict(result: SPFResult(rawValue: words[0]) ?? .none, domain: words[1]) : nil
        var dkim: [DKIMVerdict] = []
        if words.count >= 4 {
            dkim.append(DKIMVerdict(
                result: DKIMResult(rawValue: words[2]) ?? .none, domain: words[3], selector: "s", algorithm: "rsa-sha256", reason: nil
            ))
        }
        let message = sections.count > 1 ? sections[1] : []
        let answers = Array(sections.dropFirst(2))
        for answer in answers { _ = DMARCRecord.parse(String(decoding: answer, as: UTF8.self)) }
        let evaluator = DMARCEvaluator(resolver: FuzzResolver(answers: answers), logger: fuzzLogger)
        _ = await evaluator.evaluate(message: message, spf: spf, dkim: dkim)
    }
}

/// ARC: sections: first the message, then the DNS answers (key records).
/// Every ARC field is read (`PolicyFuzzing.parseSignatures`), then the chain
/// is validated.
enum ARCFuzzTarget {
    static func run(_ input: [UInt8]) async {
        let sections = FuzzInput.sections(input)
        let message = sections[0]
        let answers = Array(sections.dropFirst())
        let headerBlock = Array(message[..<PolicyFuzzing.headerBlockLength(message)])
        _ = PolicyFuzzing.parseSignatures(headerBlock: headerBlock, keyRecords: answers, now: Int64(fuzzNow.timeIntervalSince1970))
        let verifier = ARCVerifier(resolver: FuzzResolver(answers: answers), logger: fuzzLogger)
        _ = await verifier.verify(message: message, now: fuzzNow)
    }
}
