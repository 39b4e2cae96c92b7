// Builds one delivery's payload N times, for instruction counts under
// `valgrind --tool=callgrind` (stable on a noisy machine, unlike time):
//
//   payload-driver plain|multipart parse|payload|both ITERATIONS
//
// `both` is what delivery does before a POST for a message without
// attachments: parse the spooled body in place, write the JSON body.
// Per payload = (count at N) − (count at 0), divided by N.
import BenchmarkMessages
import ConduitDelivery
import ConduitMIME
import Glibc

let arguments = CommandLine.arguments
guard arguments.count == 4, let iterations = Int(arguments[3]),
      let bytes = ["plain": BenchmarkMessages.plain1KiB, "multipart": BenchmarkMessages.multipart100KiB][arguments[1]],
      ["parse", "payload", "both"].contains(arguments[2]) else {
    print("usage: payload-driver plain|multipart parse|payload|both ITERATIONS")
    exit(64)
}
let mode = arguments[2]
let context = BenchmarkMessages.context
let prepared = bytes.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }
var total = 0
for _ in 0..<iterations {
    switch mode {
    case "parse":
        total &+= bytes.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }.headers.count
    case "payload":
        total &+= WebhookPayload(message: prepared, context: context).compactJSON().count
    default:
        let parsed = bytes.withUnsafeBytes { MIMEParser.parse(buffer: $0, attachments: .byReference) }
        total &+= WebhookPayload(message: parsed, context: context).compactJSON().count
    }
}
print(total)
