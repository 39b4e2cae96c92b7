import ConduitCore
import ConduitStore
import Foundation
import Logging

extension IdentityService {
    /// Deletes expired sessions, challenges, reset tokens, API tokens and
    /// stale sign-in failure records, at most `batch` of each kind per call.
    /// Returns how many records were removed.
    @discardableResult
    public func removeExpired(batch: Int = 500) throws -> Int {
        let bound = ExpiryKey.of(now())
        return try write { txn in
            try Self.remove(Session.self, by: .byExpiry, below: bound, batch: batch, in: txn)
                + Self.remove(LoginChallenge.self, by: .byExpiry, below: bound, batch: batch, in: txn)
                + Self.remove(PasswordReset.self, by: .byExpiry, below: bound, batch: batch, in: txn)
                + Self.remove(APIToken.self, by: .byExpiry, below: bound, batch: batch, in: txn)
                + Self.remove(SignInFailures.self, by: .byExpiry, below: bound, batch: batch, in: txn)
        }
    }

    /// Removes records whose `by_expiry` key sorts before `bound`.
    private static func remove<R: StoreRecord>(
        _ type: R.Type, by index: IndexName<R>, below bound: String, batch: Int, in txn: WriteTransaction
    ) throws -> Int {
        let expired = try txn.reader.list(R.self, index: index, below: bound, limit: batch)
        for record in expired { try txn.delete(R.self, id: record.id) }
        return expired.count
    }
}
