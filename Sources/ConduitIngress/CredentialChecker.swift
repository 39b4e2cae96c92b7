import ConduitCore
import ConduitStore

/// SMTP AUTH against the credentials of the security policies. A user name
/// belongs to at most one policy on the whole server (the unique index
/// `smtp_policies.by_username`), so an AUTH costs one index lookup and one
/// scrypt check, and authenticates for that one policy.
///
/// Hashes are scrypt (~0.4 s each), run in the process's one scrypt pool
/// (`BlockingWork.scrypt`, two at a time, off the cooperative pool); an
/// unknown user costs one hash against a decoy too, so timing does not reveal
/// which names exist.
final class CredentialChecker: Sendable {
    private let store: Store
    private let hasher = PasswordHasher()
    let work: BlockingWork
    /// A real hash of a random password, for unknown users. Made in the
    /// scrypt pool, not here: an initializer runs on the cooperative pool,
    /// and a scrypt there stalls every task sharing its thread.
    private let decoyHash: Task<String, Never>

    /// - Parameter work: where scrypt runs; the process's one pool unless a
    ///   test wants to count what an AUTH costs.
    init(store: Store, work: BlockingWork = .scrypt) {
        self.store = store
        self.work = work
        let hasher = hasher
        self.decoyHash = Task {
            (try? await work.run { try hasher.hash(Base64URL.encode(SecureRandom.bytes(16))) }) ?? ""
        }
    }

    /// The id of the policy `username`/`password` authenticates for, as a
    /// set (empty when the user is unknown or the password wrong).
    func policies(username: String, password: String) async throws -> Set<String> {
        let candidate: (policyID: String, hash: String)? = try store.read { txn in
            guard let policy = try txn.lookup(SMTPSecurityPolicy.self, index: .byUsername, key: username),
                  let credential = policy.credentials.first(where: { $0.username == username })
            else { return nil }
            return (policy.id, credential.passwordHash)
        }
        let hasher = hasher
        let hash = if let candidate { candidate.hash } else { await decoyHash.value }
        let matched = try await work.run { hasher.verify(password, against: hash) }
        guard matched, let candidate else { return [] }
        return [candidate.policyID]
    }
}
