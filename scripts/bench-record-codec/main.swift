// Encode + decode of a `Delivery` and a `SpooledMessage` record: the JSON
// format 1 (Foundation JSONEncoder/JSONDecoder, as schema 3 stored records)
// against the binary format 2 (`RecordCodec`). Built and run by
// scripts/bench-record-codec.sh, which compiles this file together with the
// model and codec sources, optimized, into one module.
import Foundation

@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

func measure(_ name: String, iterations: Int, _ body: () throws -> Void) rethrows {
    for _ in 0..<(iterations / 10) { try body() } // warm-up
    var best = Double.infinity
    for _ in 0..<5 {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<iterations { try body() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / Double(iterations)
        best = min(best, elapsed)
    }
    print(name.padding(toLength: 50, withPad: " ", startingAt: 0), String(format: "%8.0f ns", best))
}

let now = Date()
var delivery = Delivery(id: "01m94s3r5qa1ht46t9es5yr25t", messageID: "01m94s3r5p9yd0nr4mtts79xtc", webhookID: "01m94s3r4q69m7sna0bsnzh9ny",
                        accountID: "01m94s3p4d8v88536pf5ed2bm1", rcptTo: "orders+invoices@in.conduit.test", tag: "invoices",
                        attempts: 2, nextAttemptAt: now.addingTimeInterval(30), createdAt: now)
delivery.leasedUntil = now.addingTimeInterval(30)
let message = SpooledMessage(
    id: "01m94s3r5p9yd0nr4mtts79xtc", receivedAt: now, mailFrom: "alice@example.org", remoteIP: "192.0.2.10", helo: "mail.example.org",
    tls: true, authUser: nil, spf: SpooledSPF(result: "pass", domain: "example.org"),
    dkim: [SpooledDKIM(domain: "example.org", selector: "s2024", result: "pass")], size: 1_024,
    recipients: [SpooledRecipient(rcptTo: "orders+invoices@in.conduit.test", webhookID: "01m94s3r4q69m7sna0bsnzh9ny",
                                  accountID: "01m94s3p4d8v88536pf5ed2bm1", tag: "invoices")])

func jsonRoundTrip<R: Codable>(_ record: R) throws -> R {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .millisecondsSince1970
    let bytes = [1] + Array(try encoder.encode(record))
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .millisecondsSince1970
    return try decoder.decode(R.self, from: Data(bytes.dropFirst()))
}

func binaryRoundTrip<R: BinaryRecord>(_ record: R) throws -> R {
    try RecordCodec.decode(R.self, from: RecordCodec.encode(record))
}

let iterations = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 100_000
let encoder = JSONEncoder()
encoder.dateEncodingStrategy = .millisecondsSince1970
print("value sizes: Delivery JSON \(try encoder.encode(delivery).count + 1) B, binary \(RecordCodec.encode(delivery).count) B;",
      "SpooledMessage JSON \(try encoder.encode(message).count + 1) B, binary \(RecordCodec.encode(message).count) B")
try measure("Delivery encode+decode, JSON (format 1)", iterations: iterations / 10) { blackHole(try jsonRoundTrip(delivery)) }
try measure("Delivery encode+decode, binary (format 2)", iterations: iterations) { blackHole(try binaryRoundTrip(delivery)) }
try measure("SpooledMessage encode+decode, JSON (format 1)", iterations: iterations / 10) { blackHole(try jsonRoundTrip(message)) }
try measure("SpooledMessage encode+decode, binary (format 2)", iterations: iterations) { blackHole(try binaryRoundTrip(message)) }
let deliveryBytes = RecordCodec.encode(delivery)
try measure("Delivery decode only, binary", iterations: iterations) { blackHole(try RecordCodec.decode(Delivery.self, from: deliveryBytes)) }
