import Testing
@testable import ConduitDelivery

@Suite struct RetryTests {
    @Test func classification() {
        #expect(AttemptOutcome.classify(status: 200, retryAfter: nil, now: 0) == .delivered(status: 200))
        #expect(AttemptOutcome.classify(status: 204, retryAfter: nil, now: 0) == .delivered(status: 204))
        for status in [408, 429, 500, 502, 503, 599] {
            guard case .retry(status, _, nil) = AttemptOutcome.classify(status: status, retryAfter: nil, now: 0) else {
                Issue.record("\(status) should be retried"); continue
            }
        }
        for status in [301, 302, 307, 400, 401, 403, 404, 413, 422] {
            guard case .failed(status, _, false) = AttemptOutcome.classify(status: status, retryAfter: nil, now: 0) else {
                Issue.record("\(status) should fail at once"); continue
            }
        }
        guard case .failed(410, _, true) = AttemptOutcome.classify(status: 410, retryAfter: nil, now: 0) else {
            Issue.record("410 deactivates"); return
        }
        guard case .retry(503, _, .seconds(120)) = AttemptOutcome.classify(status: 503, retryAfter: "120", now: 0) else {
            Issue.record("Retry-After is used"); return
        }
    }

    @Test func retryAfterIsParsedAndBounded() {
        #expect(RetryAfter.parse("30", now: 0) == .seconds(30))
        #expect(RetryAfter.parse(" 0 ", now: 0) == .seconds(1))
        #expect(RetryAfter.parse("86400", now: 0) == .seconds(3600))
        #expect(RetryAfter.parse("-5", now: 0) == nil)
        #expect(RetryAfter.parse("soon", now: 0) == nil)
        #expect(RetryAfter.parse("1.5", now: 0) == nil)
        // Sun, 06 Nov 1994 08:49:37 GMT = 784111777.
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_777 - 90) == .seconds(90))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: 784_111_777 + 90) == .seconds(1))
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: 0) == nil)
    }

    @Test func backoffDoublesWithJitterUpToTheCap() {
        let schedule = RetrySchedule(initial: .seconds(30), maximum: .seconds(3600), maxAge: .seconds(72 * 3600))
        #expect(schedule.delay(afterAttempts: 1, random: 0) == .seconds(15))
        #expect(schedule.delay(afterAttempts: 1, random: 1) == .seconds(30))
        #expect(schedule.delay(afterAttempts: 2, random: 1) == .seconds(60))
        #expect(schedule.delay(afterAttempts: 3, random: 0.5) == .seconds(90))
        #expect(schedule.delay(afterAttempts: 10, random: 1) == .seconds(3600))
        #expect(schedule.delay(afterAttempts: 1000, random: 0) == .seconds(1800))
        #expect(schedule.delay(afterAttempts: 5, retryAfter: .seconds(7), random: 0.3) == .seconds(7))
        #expect(schedule.allows(age: .seconds(71 * 3600), delay: .seconds(3600)))
        #expect(!schedule.allows(age: .seconds(71 * 3600 + 1), delay: .seconds(3600)))
    }
}
