// swift-tools-version:6.1
// Micro-benchmarks of the payload path and the record codec
// (docs/PERFORMANCE.md). A package of its own so that the main package's
// `swift build` and CI never build the benchmark tool.
//
//   make bench-micro                      # from the repository root
//   swift package --package-path Benchmarks benchmark
//
// CONDUIT_PATH names the Conduit checkout to measure (default: this
// repository), so the same benchmarks run against another tree for a
// before/after comparison.
import PackageDescription
import class Foundation.ProcessInfo

let conduitPath = ProcessInfo.processInfo.environment["CONDUIT_PATH"] ?? ".."

let conduit: [Target.Dependency] = [
    .product(name: "ConduitMIME", package: "conduit"),
    .product(name: "ConduitDelivery", package: "conduit"),
    .product(name: "ConduitStore", package: "conduit"),
    .product(name: "ConduitCore", package: "conduit"),
]

let package = Package(
    name: "ConduitBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // MallocInterposer only: the default RuntimeInterposer trait pulls in a
        // package this build does not need.
        .package(url: "https://github.com/ordo-one/benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "conduit", path: conduitPath),
    ],
    targets: [
        // The messages and contexts every benchmark uses.
        .target(name: "BenchmarkMessages", dependencies: conduit),
        // One payload built N times, for `valgrind --tool=callgrind` (instruction counts).
        .executableTarget(name: "PayloadDriver", dependencies: ["BenchmarkMessages"] + conduit),
        .executableTarget(
            name: "PayloadBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), "BenchmarkMessages"] + conduit,
            path: "Benchmarks/PayloadBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "RecordCodecBenchmarks",
            dependencies: [.product(name: "Benchmark", package: "benchmark"), "BenchmarkMessages"] + conduit,
            path: "Benchmarks/RecordCodecBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
