import ConduitCore
import ConduitStore
import Foundation
import Logging
import PostgresNIO

/// Measures the hot shared path of a Conduit cluster (docs/SCALING.md,
/// section 5) against a PostgreSQL server that `scripts/bench-cluster.sh`
/// started and seeded:
///   (a) RCPT TO's recipient and quota through a node's LMDB cache,
///   (b) the same through PostgreSQL (prepared statements, a pool), and a
///       quota lease refill,
///   (c) a revoked API token reaching every node's cache (LISTEN/NOTIFY).
/// Prints one result line per measurement (`result name=… key=value …`) and
/// fails (exit 1) when a path answers differently from another.
@main
enum ClusterHotpath {
    static func main() async throws {
        let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
        var config = PostgresClient.Configuration(host: options.host, port: options.port, username: options.user,
                                                  password: nil, database: options.database, tls: .disable)
        config.options.maximumConnections = options.concurrency + 2
        let client = PostgresClient(configuration: config, backgroundLogger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await measure(options, client: client)
        }
    }

    static func measure(_ options: Options, client: PostgresClient) async throws {
        print("cluster-hotpath: \(options.accounts) accounts, \(options.nodes) node caches under \(options.dir)")

        // Node caches, each filled from one snapshot.
        var caches: [NodeCache] = []
        for node in 0..<options.nodes {
            let cache = try NodeCache(path: "\(options.dir)/node\(node)")
            let started = ContinuousClock.now
            let records = try await cache.fill(from: client)
            report("cache_fill", ["node": "\(node)", "records": "\(records)",
                                  "ms": format(micros(ContinuousClock.now - started) / 1000)])
            caches.append(cache)
        }
        let cache = caches[0]
        // The node's own spool holds mail for a quarter of the accounts.
        let store = cache.store
        let accounts = options.accounts
        try await cache.writes.run {
            try store.write(durable: false) { txn in
                for account in stride(from: 0, to: accounts, by: 4) {
                    try withUnsafeBytes(of: UInt64(account % 97 * 4096).littleEndian) {
                        try txn.putRaw(database: SpoolUsage.database, key: accountID(account), bytes: $0)
                    }
                }
            }
        }

        try await measureLeases(options, cache: cache, client: client)
        try await measureCachePath(options, cache: cache)
        try await crossCheck(options, cache: cache, client: client)
        try await measurePostgresPath(options, client: client)
        try await measureRevocations(options, caches: caches, client: client)
    }

    static func accountID(_ index: Int) -> String {
        "acct" + String(repeating: "0", count: max(0, 8 - "\(index)".count)) + "\(index)"
    }

    /// (b') One lease per account for this node: the refill statement.
    static func measureLeases(_ options: Options, cache: NodeCache, client: PostgresClient) async throws {
        var sample = LatencySample()
        var granted: [String: Int] = [:]
        for account in 0..<options.accounts {
            let id = accountID(account)
            let started = ContinuousClock.now
            var lease: Int64?
            for try await row in try await client.execute(
                TakeLease(accountID: id, nodeID: "node0", bytes: options.leaseBytes, quota: options.quota), logger: quiet)
            {
                lease = row
            }
            sample.add(ContinuousClock.now - started)
            guard let lease else { fail("no lease for \(id)") }
            granted[id] = Int(lease)
        }
        cache.leases.withLock { $0 = granted }
        report("lease_refill", stats(sample))
    }

    /// (a) RCPT TO through the cache: one LMDB read transaction per message,
    /// on a thread of its own (as the ingress reads on its event loop).
    static func measureCachePath(_ options: Options, cache: NodeCache) async throws {
        let work = BlockingWork(width: 1)
        let (sample, counts, wall) = try await work.run { () -> (LatencySample, [String: Int], Duration) in
            var mix = RecipientMix(seed: 19, accounts: options.accounts)
            var sample = LatencySample()
            var counts: [String: Int] = [:]
            let clock = ContinuousClock()
            let started = clock.now
            for _ in 0..<options.cacheMessages {
                let (local, domain) = mix.next()
                let before = clock.now
                let answer = try cache.admit(localPart: local, domain: domain, charge: Int(options.charge))
                sample.add(clock.now - before)
                switch answer {
                case .accept: counts["accept", default: 0] += 1
                case .needsLease: counts["needs_lease", default: 0] += 1
                case .unknown: counts["unknown", default: 0] += 1
                }
            }
            return (sample, counts, clock.now - started)
        }
        var fields = stats(sample)
        fields["msg_per_s"] = format(Double(sample.count) / (micros(wall) / 1e6), digits: 0)
        for (key, value) in counts { fields[key] = "\(value)" }
        report("cache_path", fields)
        guard counts["accept", default: 0] > 0, counts["needs_lease", default: 0] == 0 else {
            fail("cache path: expected every known recipient accepted under its lease, got \(counts)")
        }
    }

    /// The cache and PostgreSQL must name the same webhook for the same
    /// recipients (resolution only: the PostgreSQL path also charges quota).
    static func crossCheck(_ options: Options, cache: NodeCache, client: PostgresClient) async throws {
        var mix = RecipientMix(seed: 7, accounts: options.accounts)
        var checked = 0
        for _ in 0..<2_000 {
            let (local, domain) = mix.next()
            let fromCache = try cache.store.read { try CachedResolver.resolve(localPart: local, domain: domain, in: $0)?.0.id }
            let fromPostgres = try await PostgresPath.admit(localPart: local, domain: domain, charge: nil,
                                                            quota: options.quota, client: client)
            guard fromCache == fromPostgres else {
                fail("\(local)@\(domain): cache says \(fromCache ?? "unknown"), PostgreSQL says \(fromPostgres ?? "unknown")")
            }
            checked += 1
        }
        report("cross_check", ["recipients": "\(checked)", "mismatches": "0"])
    }

    /// (b) RCPT TO through PostgreSQL: one message at a time (latency), then
    /// `concurrency` at a time over the pool (throughput).
    static func measurePostgresPath(_ options: Options, client: PostgresClient) async throws {
        // Resolution alone (a read), then resolution and the quota charge (a
        // durable write per message), one message at a time.
        var fields: [String: String] = [:]
        for (name, charge) in [("postgres_resolve_only", nil), ("postgres_path", options.charge)] as [(String, Int64?)] {
            var mix = RecipientMix(seed: 19, accounts: options.accounts)
            var sample = LatencySample()
            let started = ContinuousClock.now
            for _ in 0..<options.postgresMessages {
                let (local, domain) = mix.next()
                let before = ContinuousClock.now
                _ = try await PostgresPath.admit(localPart: local, domain: domain, charge: charge,
                                                 quota: options.quota, client: client)
                sample.add(ContinuousClock.now - before)
            }
            fields = stats(sample)
            fields["msg_per_s"] = format(Double(sample.count) / (micros(ContinuousClock.now - started) / 1e6), digits: 0)
            fields["in_flight"] = "1"
            report(name, fields)
        }

        for hotAccount in [false, true] {
            let (merged, wall) = try await concurrentPostgresPath(options, client: client, hotAccount: hotAccount)
            fields = stats(merged)
            fields["msg_per_s"] = format(Double(merged.count) / (micros(wall) / 1e6), digits: 0)
            fields["in_flight"] = "\(options.concurrency)"
            fields["accounts"] = hotAccount ? "1" : "\(options.accounts)"
            report("postgres_path", fields)
        }
    }

    static func concurrentPostgresPath(_ options: Options, client: PostgresClient, hotAccount: Bool) async throws
        -> (LatencySample, Duration)
    {
        let perTask = options.postgresMessages / options.concurrency
        let started = ContinuousClock.now
        let merged = try await withThrowingTaskGroup(of: LatencySample.self) { group in
            for task in 0..<options.concurrency {
                group.addTask {
                    var mix = RecipientMix(seed: 100 + UInt64(task), accounts: options.accounts, hotAccount: hotAccount)
                    var sample = LatencySample()
                    for _ in 0..<perTask {
                        let (local, domain) = mix.next()
                        let before = ContinuousClock.now
                        _ = try await PostgresPath.admit(localPart: local, domain: domain, charge: options.charge,
                                                         quota: options.quota, client: client)
                        sample.add(ContinuousClock.now - before)
                    }
                    return sample
                }
            }
            var merged = LatencySample()
            for try await sample in group { merged.append(sample) }
            return merged
        }
        return (merged, ContinuousClock.now - started)
    }

    /// (c) A token deleted in PostgreSQL, until every node's cache no longer
    /// has it: DELETE → trigger → NOTIFY at commit → each node re-reads the
    /// row (gone) → LMDB delete + last_seq.
    static func measureRevocations(_ options: Options, caches: [NodeCache], client: PostgresClient) async throws {
        guard options.revocations > 0 else { return }
        let (appliedStream, applied) = AsyncStream<AppliedChange>.makeStream()
        let connectionConfig = PostgresConnection.Configuration(host: options.host, port: options.port,
                                                                username: options.user, password: nil,
                                                                database: options.database, tls: .disable)
        // Listeners run until the end of the measurement, then are cancelled
        // and their connections closed (nothing waits for them to unwind).
        var connections: [PostgresConnection] = []
        var listeners: [Task<Void, Never>] = []
        for (node, cache) in caches.enumerated() {
            let connection = try await PostgresConnection.connect(configuration: connectionConfig, id: 1000 + node, logger: quiet)
            connections.append(connection)
            let feed = ChangeFeed(node: node, cache: cache, client: client, applied: applied)
            await withCheckedContinuation { (ready: CheckedContinuation<Void, Never>) in
                listeners.append(Task {
                    do {
                        try await feed.run(connection: connection, ready: ready)
                    } catch {
                        if !Task.isCancelled { fail("change feed of node \(node): \(error)") }
                    }
                })
            }
        }
        var toEach = LatencySample()
        var toAll = LatencySample()
        var notified = LatencySample()
        var iterator = appliedStream.makeAsyncIterator()
        var stale = 0
        for index in 0..<options.revocations {
            let tokenID = "tok" + accountID(index).dropFirst(4)
            let before = ContinuousClock.now
            try await client.query("DELETE FROM api_tokens WHERE id = \(tokenID)", logger: quiet)
            var seen = Set<Int>()
            var last = before
            while seen.count < caches.count {
                guard let change = await iterator.next() else { fail("change feed ended") }
                guard change.recordID == tokenID else { continue }
                seen.insert(change.node)
                toEach.add(change.at - before)
                notified.add(change.notifiedAt - before)
                last = max(last, change.at)
            }
            toAll.add(last - before)
            for cache in caches {
                if try cache.store.read({ try $0.get(APIToken.self, id: tokenID) }) != nil { stale += 1 }
            }
        }
        for listener in listeners { listener.cancel() }
        for connection in connections { try? await connection.close() }
        var fields = stats(toAll)
        fields["nodes"] = "\(caches.count)"
        fields["stale_after_apply"] = "\(stale)"
        report("revocation_to_all_nodes", fields)
        report("revocation_to_each_node", stats(toEach))
        report("revocation_notified_each_node", stats(notified))
        guard stale == 0 else { fail("\(stale) revoked tokens still in a cache after their change was applied") }
    }

    static func stats(_ sample: LatencySample) -> [String: String] {
        ["n": "\(sample.count)", "p50_us": format(sample.percentile(50)), "p99_us": format(sample.percentile(99)),
         "mean_us": format(sample.mean)]
    }

    static func report(_ name: String, _ fields: [String: String]) {
        let ordered = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        // Unbuffered, so a run cut short still shows what it measured.
        FileHandle.standardOutput.write(Data("result \(name) \(ordered)\n".utf8))
    }
}
