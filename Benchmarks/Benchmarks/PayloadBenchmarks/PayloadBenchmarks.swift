// The payload path of one delivery (docs/PERFORMANCE.md, "Issue 15"):
// parsing the spooled message and writing the default JSON body.
import Benchmark
import BenchmarkMessages
import ConduitDelivery
import ConduitMIME

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .throughput],
        warmupIterations: 10,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 20_000
    )

    let plain = BenchmarkMessages.plain1KiB
    let multipart = BenchmarkMessages.multipart100KiB
    let context = BenchmarkMessages.context

    // What delivery parses: the spooled body in place, attachments left in it.
    Benchmark("MIME parse 1 KiB text/plain") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(plain.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) })
        }
    }
    Benchmark("MIME parse 100 KiB multipart (by reference)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(multipart.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) })
        }
    }
    Benchmark("MIME parse 100 KiB multipart (decoded)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(MIMEParser.parse(multipart))
        }
    }

    // The JSON body from a parsed message: for a message without
    // attachments, exactly the bytes PayloadStream sends.
    let plainParsed = plain.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }
    Benchmark("Payload JSON 1 KiB text/plain") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(WebhookPayload(message: plainParsed, context: context).compactJSON())
        }
    }
    let multipartParsed = MIMEParser.parse(multipart)
    Benchmark("Payload JSON 100 KiB multipart (attachment inline)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(WebhookPayload(message: multipartParsed, context: context).compactJSON())
        }
    }

    // Parse and body together: the CPU one 1 KiB delivery spends before its POST.
    Benchmark("Parse + payload JSON 1 KiB text/plain") { benchmark in
        for _ in benchmark.scaledIterations {
            let parsed = plain.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }
            blackHole(WebhookPayload(message: parsed, context: context).compactJSON())
        }
    }
}
