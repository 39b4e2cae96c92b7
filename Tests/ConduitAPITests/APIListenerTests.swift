import ConduitIdentity
import Hummingbird
import Testing
@testable import ConduitAPI

@Suite struct APIListenerTests {
    @Test func counterAdmitsUpToTheLimitAndFreesOnRelease() {
        let counter = APIConnectionCounter(limit: 3)
        #expect((0..<5).map { _ in counter.admit() } == [true, true, true, false, false])
        #expect(counter.count == 3)
        counter.release()
        #expect(counter.admit())
        #expect(!counter.admit())
    }

    @Test func credentialChangesWithAnAPITokenAre403SessionRequired() {
        let error = APIError(IdentityError.sessionRequired)
        #expect(error.status == .forbidden)
        #expect(error.code == "session_required")
    }

    @Test func secondFactorThrottleIs429WithRetryAfter() {
        let error = APIError(IdentityError.tooManyCodes(retryAfter: 42))
        #expect(error.status == .tooManyRequests)
        #expect(error.code == "too_many_attempts")
        #expect(error.headers[.retryAfter] == "42")
    }
}
