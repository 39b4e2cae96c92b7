import ConduitCore
import Testing
@testable import ConduitIdentity

/// Sign-in hashes in the process's one scrypt pool (issue 12, item 6), not
/// in a pool of its own beside those of policies and SMTP AUTH.
@Suite struct ScryptPoolTests {
    @Test func identityHashesInTheSharedPool() throws {
        let f = try Fixture()
        defer { f.cleanup() }
        #expect(f.identity.work === BlockingWork.scrypt)
    }
}
