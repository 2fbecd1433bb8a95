/// The whole state of an in-memory election store, as a value with synchronous operations that
/// take the current time. ``InMemoryBackend`` wraps it behind a lock; the deterministic
/// simulation drives it directly under simulated time.
package struct InMemoryElectionState: Sendable {
    /// Where a candidacy stands.
    package enum Standing: Hashable, Sendable {
        /// The oldest live candidacy: it leads.
        case leading
        /// Waiting behind `predecessor`, whose lease expires at `predecessorExpiry` unless renewed.
        case waiting(predecessor: Candidacy, predecessorExpiry: Duration)
        /// The candidacy no longer exists.
        case gone
    }

    private struct LeaseRecord: Sendable {
        var ttl: Duration
        var expiresAt: Duration
    }

    private var leases: [LeaseID: LeaseRecord] = [:]
    /// Live candidacies of every election, in token order.
    private var candidacies: [Candidacy] = []
    private var lastLeaseID: Int64 = 0
    private var lastToken: Int64 = 0

    package init() {}

    /// Grants a lease expiring `ttl` after `now`.
    package mutating func grantLease(ttl: Duration, now: Duration) -> LeaseID {
        expireLeases(now: now)
        lastLeaseID += 1
        let id = LeaseID(0x1000 + lastLeaseID)
        leases[id] = LeaseRecord(ttl: ttl, expiresAt: now + ttl)
        return id
    }

    /// Extends a lease to `now + ttl`.
    package mutating func renewLease(_ id: LeaseID, now: Duration) throws(ElectionError) {
        expireLeases(now: now)
        guard var record = leases[id] else { throw ElectionError.leaseExpired(id) }
        record.expiresAt = now + record.ttl
        leases[id] = record
    }

    /// Deletes a lease and its candidacies.
    package mutating func revokeLease(_ id: LeaseID, now: Duration) {
        expireLeases(now: now)
        leases[id] = nil
        candidacies.removeAll { $0.lease == id }
    }

    /// Deletes every lease whose expiry is at or before `now`, with its candidacies.
    package mutating func expireLeases(now: Duration) {
        let expired = leases.filter { $0.value.expiresAt <= now }.map(\.key)
        guard !expired.isEmpty else { return }
        for id in expired { leases[id] = nil }
        candidacies.removeAll { !leases.keys.contains($0.lease) }
    }

    /// Joins `election` with `lease`; returns the existing candidacy if the lease already joined.
    package mutating func campaign(election: String, lease: LeaseID, value: String, now: Duration) throws(ElectionError) -> Candidacy {
        expireLeases(now: now)
        guard leases[lease] != nil else { throw ElectionError.leaseExpired(lease) }
        let key = "\(election)/\(lease)"
        if let existing = candidacies.first(where: { $0.key == key }) { return existing }
        lastToken += 1
        let candidacy = Candidacy(election: election, key: key, value: value, lease: lease, token: FencingToken(lastToken))
        candidacies.append(candidacy)
        return candidacy
    }

    /// Deletes a candidacy.
    package mutating func resign(_ candidacy: Candidacy, now: Duration) {
        expireLeases(now: now)
        candidacies.removeAll { $0.key == candidacy.key && $0.token == candidacy.token }
    }

    /// Live candidacies of `election`, oldest first (as of the last expiry pass).
    package func candidates(election: String) -> [Candidacy] {
        candidacies.filter { $0.election == election }
    }

    /// The leader of `election` (as of the last expiry pass).
    package func leader(election: String) -> Candidacy? {
        candidacies.first { $0.election == election }
    }

    /// When the lease of `candidacy` expires unless renewed.
    package func expiry(of candidacy: Candidacy) -> Duration? {
        leases[candidacy.lease]?.expiresAt
    }

    /// Where `candidacy` stands (as of the last expiry pass).
    package func standing(of candidacy: Candidacy) -> Standing {
        let peers = candidates(election: candidacy.election)
        guard let index = peers.firstIndex(where: { $0.key == candidacy.key && $0.token == candidacy.token }) else {
            return .gone
        }
        if index == 0 { return .leading }
        let predecessor = peers[index - 1]
        return .waiting(predecessor: predecessor, predecessorExpiry: expiry(of: predecessor) ?? .zero)
    }
}
