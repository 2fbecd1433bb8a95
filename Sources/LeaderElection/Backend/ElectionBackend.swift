/// The contract between ``Election`` and a store (SQLite, etcd, ZooKeeper, PostgreSQL, memory).
///
/// A backend keeps **leases** and, per election, an ordered list of **candidacies**. A candidacy
/// is attached to a lease and disappears with it. Candidacies are ordered by a counter the store
/// increments for every candidacy it ever creates; that counter value is the candidacy's
/// ``FencingToken``. The live candidacy with the smallest token leads.
///
/// The store expires a lease no earlier than `ttl` after it processed the grant or the last
/// renewal. ``Election`` relies on exactly this and nothing about the store's clock.
///
/// ## Error contract
/// - ``ElectionError/Code/leaseExpired``: the lease or candidacy is definitely gone. Final.
/// - ``ElectionError/Code/storeUnavailable`` or any other error: transient; the caller may retry
///   while its local deadline holds. The operation may or may not have taken effect.
/// - Every method must return promptly when its task is cancelled (throwing `CancellationError`).
public protocol ElectionBackend: Sendable {
    /// Creates a lease that the store expires `ttl` after the last renewal it processed.
    func grantLease(ttl: Duration) async throws -> LeaseID

    /// Extends the lease by its TTL from now (store time). Throws `leaseExpired` if it is gone.
    func renewLease(_ lease: LeaseID) async throws

    /// Deletes the lease and every candidacy attached to it. Succeeds if it is already gone.
    func revokeLease(_ lease: LeaseID) async throws

    /// Joins `election` as a candidate attached to `lease`, proclaiming `value`.
    /// Calling it again with the same lease returns the existing candidacy.
    func campaign(election: String, lease: LeaseID, value: String) async throws -> Candidacy

    /// Returns once `candidacy` is the oldest live candidacy of its election.
    /// Throws `leaseExpired` if the candidacy disappears while waiting.
    /// Waits by notification where the store offers it, and wakes only this candidate's waiter.
    func waitUntilLeader(_ candidacy: Candidacy) async throws

    /// Deletes `candidacy` (the lease stays). Succeeds if it is already gone.
    func resign(_ candidacy: Candidacy) async throws

    /// The current leader of `election`, or nil when there is none.
    func leader(election: String) async throws -> Candidacy?

    /// Every live candidacy of `election`, oldest (the leader) first.
    func candidates(election: String) async throws -> [Candidacy]

    /// The leader of `election` now and after each change (nil when there is none), without
    /// repeating an unchanged value. Ends with an error when the store cannot be watched.
    func watchLeader(election: String) -> AsyncThrowingStream<Candidacy?, any Error>
}

/// A lease's identifier, as the store assigned it.
public struct LeaseID: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The raw identifier.
    public var rawValue: Int64
    /// Wraps a raw identifier.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    /// Lowercase hexadecimal without padding, as etcd prints lease IDs.
    public var description: String { String(UInt64(bitPattern: rawValue), radix: 16) }
}

/// One candidacy in an election, as the store reports it.
public struct Candidacy: Hashable, Sendable, Codable {
    /// The election's name.
    public var election: String
    /// The store's key for this candidacy (for example `NAME/694d7a1b2c3d4e5f`).
    public var key: String
    /// The value the candidate proclaimed.
    public var value: String
    /// The lease the candidacy is attached to.
    public var lease: LeaseID
    /// The candidacy's position in the election; the leader's fencing token.
    public var token: FencingToken

    /// Creates a candidacy record.
    public init(election: String, key: String, value: String, lease: LeaseID, token: FencingToken) {
        self.election = election
        self.key = key
        self.value = value
        self.lease = lease
        self.token = token
    }
}
