import Logging
import ConduitCore
import ConduitStore
import Foundation

extension IdentityService {
    /// Deletes expired sessions, challenges, reset tokens, API tokens and
    /// stale sign-in failure records, a bounded batch per call. Returns how
    /// many records were removed.
    @discardableResult
    public func removeExpired(batch: Int = 500) throws -> Int {
        let bound = ExpiryKey.of(now())
        return try write { txn in
            var removed = 0
            for session in try txn.reader.list(Session.self, index: "by_expiry", below: bound, limit: batch) {
                try txn.delete(Session.self, id: session.id)
                removed += 1
            }
            for challenge in try txn.reader.list(LoginChallenge.self, index: "by_expiry", below: bound, limit: batch) {
                try txn.delete(LoginChallenge.self, id: challenge.id)
                removed += 1
            }
            for reset in try txn.reader.list(PasswordReset.self, index: "by_expiry", below: bound, limit: batch) {
                try txn.delete(PasswordReset.self, id: reset.id)
                removed += 1
            }
            for token in try txn.reader.list(APIToken.self, index: "by_expiry", below: bound, limit: batch) {
                try txn.delete(APIToken.self, id: token.id)
                removed += 1
            }
            for failures in try txn.reader.list(SignInFailures.self, index: "by_expiry", below: bound, limit: batch) {
                try txn.delete(SignInFailures.self, id: failures.id)
                removed += 1
            }
            return removed
        }
    }
}
