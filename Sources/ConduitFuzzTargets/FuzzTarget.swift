import Dispatch

/// The fuzz targets of `make fuzz` (docs/RELIABILITY.md, "Fuzzing"). Each
/// drives the real code over one input; `conduit-fuzz` hands it libFuzzer's
/// inputs, and `FuzzCorpusReplayTests` the committed corpus
/// (`Fuzz/corpus/<name>/`). An input that breaks a promise stops the process
/// (`precondition`), which is what libFuzzer reports as a finding.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// SMTP line framing and the session state machine.
    case smtp
    /// The MIME parser and the default payload's JSON writer.
    case mime
    /// The DNS message decoder (and encoder, round trip).
    case dns
    /// The SPF record parser and `check_host()` over a fake resolver.
    case spf
    /// DKIM-Signature and key record parsers, the streaming canonicalizer, verification.
    case dkim
    /// The DMARC record parser and evaluation.
    case dmarc
    /// ARC header fields and chain validation.
    case arc
    /// The TOML config loader.
    case config
    /// The API's JSON request decoders.
    case apiJSON = "api-json"
    /// `payload_template` validation and rendering.
    case template

    /// Largest input worth trying (libFuzzer's `-max_len`, `make fuzz`).
    public var maxInputLength: Int {
        switch self {
        case .dns: 4096
        case .apiJSON, .config, .template: 8192
        case .smtp, .mime, .dkim, .arc: 32768
        case .spf, .dmarc: 8192
        }
    }

    /// Runs one input.
    public func run(_ input: [UInt8]) async {
        switch self {
        case .smtp: SMTPFuzzTarget.run(input)
        case .mime: MIMEFuzzTarget.run(input)
        case .dns: DNSFuzzTarget.run(input)
        case .spf: await SPFFuzzTarget.run(input)
        case .dkim: await DKIMFuzzTarget.run(input)
        case .dmarc: await DMARCFuzzTarget.run(input)
        case .arc: await ARCFuzzTarget.run(input)
        case .config: ConfigFuzzTarget.run(input)
        case .apiJSON: APIJSONFuzzTarget.run(input)
        case .template: await TemplateFuzzTarget.run(input)
        }
    }

    /// Runs one input from a thread outside Swift's cooperative pool (the
    /// libFuzzer driver's): synchronous targets directly, the others on a
    /// task the calling thread waits for.
    public func runBlocking(_ input: [UInt8]) {
        switch self {
        case .smtp: SMTPFuzzTarget.run(input)
        case .mime: MIMEFuzzTarget.run(input)
        case .dns: DNSFuzzTarget.run(input)
        case .config: ConfigFuzzTarget.run(input)
        case .apiJSON: APIJSONFuzzTarget.run(input)
        case .spf, .dkim, .dmarc, .arc, .template:
            let done = DispatchSemaphore(value: 0)
            Task {
                await run(input)
                done.signal()
            }
            done.wait()
        }
    }
}
