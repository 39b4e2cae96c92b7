import ConduitCore
import Testing
@testable import ConduitDNS

@Suite struct DNSCacheTests {
    private func key(_ name: String, _ type: DNSRecordType = .a) -> DNSCache.Key {
        DNSCache.Key(name: DNSName(name)!.lowercased(), type: type.rawValue)
    }

    @Test func keepsForTheTTLAndCountsItDown() {
        let cache = DNSCache(capacity: 10)
        let start = ContinuousClock.now
        let record = DNSRecord(name: "a.example", type: 1, ttl: 300, data: .a(IPAddress("192.0.2.1")!))
        cache.put(key("a.example"), .records([record]), ttl: 100, now: start)
        #expect(cache.get(key("A.EXAMPLE"), now: start + .seconds(40)) == .records([record.with(ttl: 260)]))
        #expect(cache.get(key("a.example", .txt), now: start) == nil)
        #expect(cache.get(key("a.example"), now: start + .seconds(100)) == nil)
        #expect(cache.count == 0)
    }

    @Test func zeroTTLIsNotKept() {
        let cache = DNSCache(capacity: 10)
        cache.put(key("a.example"), .nodata, ttl: 0)
        #expect(cache.get(key("a.example")) == nil)
    }

    @Test func oldestGoFirstPastCapacity() {
        let cache = DNSCache(capacity: 3)
        let now = ContinuousClock.now
        for index in 0..<5 { cache.put(key("h\(index).example"), .nxdomain, ttl: 60, now: now) }
        #expect(cache.count == 3)
        #expect(cache.get(key("h0.example"), now: now) == nil)
        #expect(cache.get(key("h1.example"), now: now) == nil)
        #expect(cache.get(key("h4.example"), now: now) == .nxdomain)
        // Replacing an entry renews it.
        cache.put(key("h2.example"), .nodata, ttl: 60, now: now)
        cache.put(key("h5.example"), .nxdomain, ttl: 60, now: now)
        #expect(cache.get(key("h2.example"), now: now) == .nodata)
        #expect(cache.get(key("h3.example"), now: now) == nil)
    }

    @Test func staysBoundedUnderChurn() {
        let cache = DNSCache(capacity: 100)
        let now = ContinuousClock.now
        for index in 0..<50_000 { cache.put(key("h\(index % 150).example"), .nxdomain, ttl: 60, now: now) }
        #expect(cache.count == 100)
    }
}
