// swift-tools-version:6.1
// The measured prototype of docs/SCALING.md, section 5: the hottest shared
// path of a Conduit cluster (a recipient resolved and its account's quota
// checked, per message) through a node's local LMDB read cache against the
// same through PostgreSQL, and how long a revoked token takes to reach a
// node's cache over LISTEN/NOTIFY.
//
//   make bench-cluster                    # from the repository root
//
// A package of its own (like Benchmarks/) so that the main package's
// `swift build`, `make test` and CI never build postgres-nio. It depends on
// this repository by path for Conduit's real store (ConduitStore: LMDB,
// tables, indexes, the binary record format) and record types (ConduitCore).
import PackageDescription

let package = Package(
    name: "ClusterHotpath",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "conduit", path: "../.."),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "ClusterHotpath",
            dependencies: [
                .product(name: "ConduitStore", package: "conduit"),
                .product(name: "ConduitCore", package: "conduit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("InternalImportsByDefault"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
