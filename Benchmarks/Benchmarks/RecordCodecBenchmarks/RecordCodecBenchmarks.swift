// The binary LMDB record codec (docs/ARCHITECTURE.md, "Record encoding"):
// the records the claim pass and the spool read and write most.
import Benchmark
import BenchmarkMessages
import ConduitCore
import ConduitStore

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .instructions, .mallocCountTotal, .throughput],
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    let delivery = BenchmarkMessages.delivery
    let message = BenchmarkMessages.spooledMessage
    let deliveryBytes = RecordCodec.encode(delivery)
    let messageBytes = RecordCodec.encode(message)

    Benchmark("Delivery encode") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(RecordCodec.encode(delivery)) }
    }
    Benchmark("Delivery decode") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try RecordCodec.decode(Delivery.self, from: deliveryBytes)) }
    }
    Benchmark("SpooledMessage encode") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(RecordCodec.encode(message)) }
    }
    Benchmark("SpooledMessage decode") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try RecordCodec.decode(SpooledMessage.self, from: messageBytes)) }
    }
}
