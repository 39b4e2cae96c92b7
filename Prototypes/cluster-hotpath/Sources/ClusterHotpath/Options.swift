import Foundation

/// The command line: `cluster-hotpath --port 54321 --dir /tmp/x [--accounts N] …`.
struct Options {
    var host = "127.0.0.1"
    var port = 5432
    var user = "conduit"
    var database = "conduit"
    /// Where the nodes' LMDB caches go (one directory per node).
    var dir = ""
    /// Accounts seeded (must match seed.sql's `accounts`).
    var accounts = 10_000
    /// Messages through the cache path.
    var cacheMessages = 200_000
    /// Messages through PostgreSQL, one at a time, then `concurrency` at a time.
    var postgresMessages = 10_000
    var concurrency = 16
    /// Token revocations timed through LISTEN/NOTIFY.
    var revocations = 500
    /// Node caches that follow the change feed.
    var nodes = 3
    /// Bytes charged per message (a 10 KiB body + SpoolUsage's 2 KiB overhead).
    var charge: Int64 = 12 * 1024
    /// A lease taken per account per refill.
    var leaseBytes: Int64 = 64 << 20
    var quota: Int64 = 1 << 30

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value() -> String {
            index += 1
            guard index < arguments.count else { fail("missing value for \(arguments[index - 1])") }
            return arguments[index]
        }
        func number() -> Int {
            let text = value()
            guard let parsed = Int(text), parsed >= 0 else { fail("not a count: \(text)") }
            return parsed
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--host": options.host = value()
            case "--port": options.port = number()
            case "--user": options.user = value()
            case "--database": options.database = value()
            case "--dir": options.dir = value()
            case "--accounts": options.accounts = max(number(), 10)
            case "--cache-messages": options.cacheMessages = number()
            case "--pg-messages": options.postgresMessages = number()
            case "--concurrency": options.concurrency = max(number(), 1)
            case "--revocations": options.revocations = number()
            case "--nodes": options.nodes = max(number(), 1)
            default: fail("unknown argument \(arguments[index])")
            }
            index += 1
        }
        guard !options.dir.isEmpty else { fail("--dir is required") }
        guard options.revocations <= options.accounts else { fail("--revocations must not exceed --accounts") }
        return options
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("cluster-hotpath: \(message)\n".utf8))
    exit(2)
}

/// SplitMix64: the same recipient sequence on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The recipients of the measured messages: 85 % an exact address, 10 % a
/// `+tag` address, 5 % an unknown local part (a catch-all takes it on every
/// tenth domain; the rest are 550).
struct RecipientMix {
    var generator: SeededGenerator
    let accounts: Int
    /// Every message to account 0: one account's quota row under all the load.
    let hotAccount: Bool

    init(seed: UInt64, accounts: Int, hotAccount: Bool = false) {
        generator = SeededGenerator(state: seed)
        self.accounts = accounts
        self.hotAccount = hotAccount
    }

    mutating func next() -> (local: String, domain: String) {
        let account = hotAccount ? 0 : Int.random(in: 0..<accounts, using: &generator)
        let kind = Int.random(in: 0..<100, using: &generator)
        let local = kind < 85 ? "u\(account)" : kind < 95 ? "u\(account)+news" : "nobody\(account)"
        return (local, "d\(account).example")
    }
}
