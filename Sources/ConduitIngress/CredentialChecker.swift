import ConduitCore
import ConduitStore

/// SMTP AUTH against the credentials of every security policy: a user name
/// may be in several policies (of several accounts); the client is
/// authenticated for each policy whose credential its password matches.
///
/// Hashes are scrypt (~0.4 s each), run off the cooperative pool two at a
/// time; an unknown user still costs one hash so timing does not reveal
/// which names exist.
final class CredentialChecker: Sendable {
    private let store: Store
    private let hasher = PasswordHasher()
    private let work = BlockingWork(width: 2)
    private let decoyHash: String

    init(store: Store) {
        self.store = store
        self.decoyHash = (try? PasswordHasher().hash(Base64URL.encode(SecureRandom.bytes(16)))) ?? ""
    }

    /// The ids of the policies `username`/`password` authenticates for.
    func policies(username: String, password: String) async throws -> Set<String> {
        let candidates: [(policyID: String, hash: String)] = try store.read { txn in
            try txn.scan(SMTPSecurityPolicy.self).flatMap { policy in
                policy.credentials.filter { $0.username == username }.map { (policy.id, $0.passwordHash) }
            }
        }
        let hasher = hasher
        guard !candidates.isEmpty else {
            let decoy = decoyHash
            _ = try await work.run { hasher.verify(password, against: decoy) }
            return []
        }
        var matched: Set<String> = []
        for candidate in candidates.prefix(20) {
            let ok = try await work.run { hasher.verify(password, against: candidate.hash) }
            if ok { matched.insert(candidate.policyID) }
        }
        return matched
    }
}
