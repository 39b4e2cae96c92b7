// swift-tools-version:6.2
import PackageDescription

// Every Conduit target hides its dependencies by default: a type from a
// dependency only reaches another module through an explicit `public import`.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "conduit",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "conduit", targets: ["conduit"]),
        // For the micro-benchmarks in Benchmarks/ (a package of its own, so
        // this package's build and CI never build them).
        .library(name: "ConduitMIME", targets: ["ConduitMIME"]),
        .library(name: "ConduitDelivery", targets: ["ConduitDelivery"]),
        .library(name: "ConduitStore", targets: ["ConduitStore"]),
        .library(name: "ConduitCore", targets: ["ConduitCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // MARK: System libraries (module maps only)
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CIDN2", pkgConfig: "libidn2", providers: [.apt(["libidn2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

        // MARK: Libraries, one concern each (docs/ARCHITECTURE.md)
        .target(
            name: "ConduitCore",
            dependencies: ["CIDN2", "COpenSSL", "CQREncode", "CPNG"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConduitStore",
            dependencies: ["ConduitCore", "CLMDB"],
            swiftSettings: strictSettings
        ),
        // Accounts, sessions, TOTP, API tokens, password reset: rules over the store, no HTTP.
        .target(
            name: "ConduitIdentity",
            dependencies: ["ConduitCore", "ConduitStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // Stub resolver (UDP, TCP fallback, EDNS0, TTL cache) for SPF, DKIM and domain verification.
        .target(
            name: "ConduitDNS",
            dependencies: [
                "ConduitCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // SPF, DKIM, source-IP and SMTP AUTH checks: pure verdicts from input and DNS answers.
        .target(
            name: "ConduitPolicy",
            dependencies: ["ConduitCore", "ConduitDNS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // RFC 5322/MIME parsing (RFC 2045-2049, 2047, 2231; charsets through glibc's iconv). Parsing only:
        // the webhook payload is ConduitDelivery's.
        .target(
            name: "ConduitMIME",
            dependencies: ["ConduitCore"],
            swiftSettings: strictSettings
        ),
        // SMTP security policies and webhooks: the management rules over the store.
        .target(
            name: "ConduitWebhooks",
            dependencies: [
                "ConduitCore", "ConduitStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strictSettings
        ),
        // Domain claims and their DNS TXT proof.
        .target(
            name: "ConduitDomains",
            dependencies: ["ConduitCore", "ConduitStore", "ConduitDNS", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConduitSMTP",
            dependencies: [
                "ConduitCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The SMTP backend: recipient resolution, policy checks, the hand-over to
        // delivery's spool intake (MessageSpool).
        .target(
            name: "ConduitIngress",
            dependencies: [
                "ConduitCore", "ConduitSMTP", "ConduitPolicy", "ConduitStore", "ConduitDNS", "ConduitDelivery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSettings
        ),
        // Spool consumer: the delivery engine (leases, retries, rate limits), the
        // signed webhook POST over Conduit's own HTTP/1.1 client (NIO), which
        // connects only to addresses the SSRF guard admitted.
        .target(
            name: "ConduitDelivery",
            dependencies: [
                "ConduitCore", "ConduitStore", "ConduitDNS", "ConduitMIME", "ConduitWebhooks",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "ConduitAPI",
            dependencies: [
                "ConduitCore",
                "ConduitStore",
                "ConduitIdentity",
                "ConduitDomains",
                "ConduitWebhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                // The listener's connection guard (APIListener) sits in the HTTP pipeline.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Config, logging and the composition root. A library (not inside the
        // executable) so Swift Testing can exercise config parsing directly.
        .target(
            name: "ConduitApp",
            dependencies: [
                "ConduitCore",
                "ConduitStore",
                "ConduitSMTP",
                "ConduitAPI",
                "ConduitIdentity",
                "ConduitDomains",
                "ConduitDNS",
                "ConduitPolicy",
                "ConduitWebhooks",
                "ConduitIngress",
                "ConduitDelivery",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "conduit",
            dependencies: [
                "ConduitApp",
                "ConduitCore",
                "ConduitStore",
                "ConduitDNS",
                "ConduitPolicy",
                "ConduitMIME",
                "ConduitDelivery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),

        // `make bench-rest`'s ceiling: a bare Hummingbird route on Conduit's
        // `GET /api/v1/webhooks` path (docs/PERFORMANCE.md, "REST (issue 15)").
        // One file over modules Conduit builds anyway, so it adds one small
        // compile and a link to `swift build`.
        .executableTarget(
            name: "bench-ceiling",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),

        // The fuzz targets (docs/RELIABILITY.md, "Fuzzing"): one entry function per
        // parser or state machine, each driving the real code over input bytes.
        // A library so the corpus replay unit test runs the same functions.
        .target(
            name: "ConduitFuzzTargets",
            dependencies: [
                "ConduitCore", "ConduitSMTP", "ConduitMIME", "ConduitDNS", "ConduitPolicy",
                "ConduitWebhooks", "ConduitDelivery", "ConduitAPI", "ConduitApp",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // `make fuzz`: libFuzzer's driver over ConduitFuzzTargets when built with
        // -sanitize=fuzzer and -D CONDUIT_LIBFUZZER; in the ordinary build a small
        // replay tool that runs files through the same entry functions.
        .executableTarget(
            name: "conduit-fuzz",
            dependencies: ["ConduitFuzzTargets"],
            swiftSettings: strictSettings
        ),

        // MARK: Tests (Swift Testing)
        .testTarget(name: "ConduitCoreTests", dependencies: ["ConduitCore"], swiftSettings: strictSettings),
        .testTarget(name: "ConduitStoreTests", dependencies: ["ConduitStore", "ConduitCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "ConduitSMTPTests",
            dependencies: [
                "ConduitSMTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            exclude: ["Transcripts"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitIdentityTests",
            dependencies: ["ConduitIdentity", "ConduitStore", "ConduitCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitDomainsTests",
            dependencies: ["ConduitDomains", "ConduitDNS", "ConduitStore", "ConduitCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitPolicyTests",
            dependencies: ["ConduitPolicy", "ConduitDNS", "ConduitCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitDNSTests",
            dependencies: [
                "ConduitDNS",
                "ConduitCore",
                .product(name: "Logging", package: "swift-log"),
                // Only for a hand-rolled forging UDP server in the spoofing test.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitIngressTests",
            dependencies: [
                "ConduitIngress", "ConduitStore", "ConduitCore", "ConduitSMTP", "ConduitDNS", "ConduitDelivery",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitDeliveryTests",
            dependencies: [
                "ConduitDelivery", "ConduitStore", "ConduitCore", "ConduitDNS", "ConduitMIME",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitWebhooksTests",
            dependencies: ["ConduitWebhooks", "ConduitStore", "ConduitCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitMIMETests",
            // ConduitDelivery: the golden files are payloads, and the payload is delivery's.
            dependencies: ["ConduitMIME", "ConduitCore", "ConduitDelivery"],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitAPITests",
            dependencies: [
                // ConduitStore: the identity service of the revocation tests runs on a real store.
                "ConduitAPI", "ConduitIdentity", "ConduitCore", "ConduitStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                // app.test(.router): the reserve middleware driven through a real router.
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                // The listener's request deadline, driven on an EmbeddedChannel.
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strictSettings
        ),
        // The committed fuzz corpora replayed (docs/RELIABILITY.md, "Fuzzing"), and the findings.
        .testTarget(
            name: "ConduitFuzzTargetsTests",
            dependencies: ["ConduitFuzzTargets"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConduitAppTests",
            dependencies: ["ConduitApp", "ConduitCore", "ConduitStore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
