/// Entry points for the fuzz targets (docs/RELIABILITY.md, "Fuzzing"): the
/// parsers the public verifiers reach only behind DNS answers and
/// signatures, called directly, and the streaming body canonicalizer's
/// promise checked. SPI, so the module's public surface does not grow:
/// only `@_spi(Fuzzing) import ConduitPolicy` sees it.
@_spi(Fuzzing) public enum PolicyFuzzing {
    /// Parses `text` as an SPF record (RFC 7208 §4.5, §12); whether it parsed.
    public static func parseSPFRecord(_ text: [UInt8]) -> Bool {
        (try? SPFRecord.parse(text)) != nil
    }

    /// Where the header block of `message` ends (what `DKIMVerifier` and
    /// the SMTP ingress give `DKIMBodyHasher` as the header block).
    public static func headerBlockLength(_ message: [UInt8]) -> Int {
        DKIMMessage.headerBlockLength(message)
    }

    /// Reads every DKIM-Signature, ARC-Message-Signature and ARC-Seal field of
    /// `headerBlock` as each kind of signature, and every text of `keyRecords`
    /// as the key record of each signature that parsed; ARC fields also
    /// through `ARCHeaderField`. Returns how many signatures parsed.
    public static func parseSignatures(headerBlock: [UInt8], keyRecords: [[UInt8]], now: Int64) -> Int {
        let message = DKIMMessage(headerBlock)
        var parsed = 0
        for field in message.fields {
            _ = try? ARCHeaderField(field)
            guard ["dkim-signature", "arc-message-signature", "arc-seal"].contains(field.name) else { continue }
            guard let tags = try? DKIMTagList(parsing: field.value) else { continue }
            for kind in [DKIMSignature.Kind.dkim, .arcMessageSignature, .arcSeal] {
                guard let signature = try? DKIMSignature(tags: tags, now: now, kind: kind) else { continue }
                parsed += 1
                for key in keyRecords { _ = try? DKIMKeyRecord(text: key, for: signature) }
            }
        }
        return parsed
    }

    /// The streaming body canonicalizer's promise (`DKIMBodyCanonicalizer`):
    /// fed `body` in chunks ending at `splits` (offsets, any order, out of
    /// range ignored), it gives exactly `DKIMCanonicalization.body` of the
    /// whole body with bare LF read as CRLF, for both algorithms. Stops the
    /// process (a fuzzer finding) when it does not.
    public static func checkBodyCanonicalizer(_ body: [UInt8], splits: [Int]) {
        let cuts = Set(splits.filter { $0 > 0 && $0 < body.count }).sorted() + [body.count]
        let expectedInput = DKIMMessage.normalizingLineEnds(body)
        for canonicalization in [DKIMCanonicalization.simple, .relaxed] {
            var streamed: [UInt8] = []
            var canonicalizer = DKIMBodyCanonicalizer(canonicalization)
            var start = 0
            for end in cuts {
                body[start..<end].withUnsafeBytes { canonicalizer.update($0, into: &streamed) }
                start = end
            }
            canonicalizer.finish(into: &streamed)
            let expected = canonicalization.body(expectedInput[...])
            precondition(streamed == expected, "\(canonicalization) body canonicalization depends on chunking")
        }
    }
}
