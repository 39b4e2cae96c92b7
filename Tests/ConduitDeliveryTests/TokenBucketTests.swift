import Testing
@testable import ConduitDelivery

@Suite struct TokenBucketTests {
    @Test func burstThenSteadyRate() {
        var bucket = TokenBucket(perMinute: 6, now: 0)
        for _ in 0..<6 { #expect(bucket.take(now: 0) == nil) }
        // Empty: the next token comes after 10 s (6 per minute).
        #expect(bucket.take(now: 0) == .seconds(10))
        #expect(bucket.take(now: 4) == .seconds(6))
        #expect(bucket.take(now: 10) == nil)
        #expect(bucket.take(now: 10) == .seconds(10))
        // Idle for an hour refills to the burst, not beyond.
        for _ in 0..<6 { #expect(bucket.take(now: 3600) == nil) }
        #expect(bucket.take(now: 3600) != nil)
    }

    @Test func aClockGoingBackwardsGivesNothingAway() {
        var bucket = TokenBucket(perMinute: 1, now: 100)
        #expect(bucket.take(now: 100) == nil)
        #expect(bucket.take(now: 50) == .seconds(60))
        #expect(bucket.take(now: 160) == nil)
    }
}
