import ConduitCore
import ConduitStore
import Foundation
import Synchronization

/// What `authenticate` needs of a session or API token record, kept in
/// memory by the hash of its token so a request with a known token reads no
/// record (docs/ARCHITECTURE.md, "The credential cache"). The checks that
/// depend on the request or the clock — expiry, allowed IPs, the last-used
/// write — run on every request, cached or not.
struct CachedCredential: Sendable {
    let principal: Principal
    /// The access token's expiry (session), `expires_at` (API token).
    let expiresAt: Date?
    /// An API token's `allowed_ips`, parsed; `nil` when it has none. An entry
    /// that does not parse matches no address, as it never did.
    let allowedNetworks: [CIDR]?
    /// An API token's `last_used_at` when it was read.
    let lastUsedAt: Date?

    init(session: Session) {
        principal = Principal(accountID: session.accountID, credential: .session(id: session.id))
        expiresAt = session.accessExpiresAt
        allowedNetworks = nil
        lastUsedAt = nil
    }

    init(apiToken: APIToken) {
        principal = Principal(accountID: apiToken.accountID, credential: .apiToken(id: apiToken.id))
        expiresAt = apiToken.expiresAt
        allowedNetworks = apiToken.allowedIPs.isEmpty ? nil : apiToken.allowedIPs.compactMap { CIDR($0) }
        lastUsedAt = apiToken.lastUsedAt
    }
}

/// A bounded map from token hash to `CachedCredential`, emptied whenever a
/// write that changed a session, an API token or an account commits (its
/// `StoreWatch`), so a revoked token, a signed-out session, a deleted account
/// or rotated tokens stop working on the next request, as without the cache.
/// Only records found are kept: an unknown token is looked up every time.
final class CredentialCache: Sendable {
    private struct State {
        /// The watch's generation the entries were read at.
        var generation: UInt64
        var entries: [String: CachedCredential] = [:]
    }

    /// At most this many entries; one more empties the map first.
    let capacity: Int
    private let watch: StoreWatch
    private let state: Mutex<State>

    init(watch: StoreWatch, capacity: Int) {
        self.watch = watch
        self.capacity = max(0, capacity)
        state = Mutex(State(generation: watch.generation))
    }

    /// The generation to give `insert` for records read from now on: taken
    /// before the read transaction starts.
    var generation: UInt64 { watch.generation }

    /// The credential kept for `hash`, unless a watched write committed since
    /// it was read.
    func credential(forHash hash: String) -> CachedCredential? {
        state.withLock { state in
            Self.catchUp(&state, to: watch.generation)
            return state.entries[hash]
        }
    }

    /// Keeps `credential`, read in a transaction begun after `generation` was
    /// taken, unless a watched write has committed since: then it may be
    /// stale (a revoke racing the read) and is dropped.
    func insert(_ credential: CachedCredential, forHash hash: String, readAt generation: UInt64) {
        guard capacity > 0 else { return }
        state.withLock { state in
            let current = watch.generation
            guard current == generation else { return }
            Self.catchUp(&state, to: current)
            if state.entries.count >= capacity, state.entries[hash] == nil {
                // Bounded without bookkeeping per hit: a full map starts over.
                state.entries.removeAll(keepingCapacity: true)
            }
            state.entries[hash] = credential
        }
    }

    /// How many credentials are kept.
    var count: Int {
        state.withLock { state in
            Self.catchUp(&state, to: watch.generation)
            return state.entries.count
        }
    }

    private static func catchUp(_ state: inout State, to generation: UInt64) {
        guard state.generation != generation else { return }
        state.entries.removeAll(keepingCapacity: true)
        state.generation = generation
    }
}
