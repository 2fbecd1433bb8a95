import LeaderElection

/// etcd's answer to one lease keep-alive: the lease's TTL, and the Raft term of the member that
/// answered.
///
/// etcd renews a lease from the in-memory countdown of whichever member believes it leads, without
/// asking a quorum (before 3.4.25 and 3.5.8, which check leadership first). A leader that was
/// paused or cut off from its peers keeps answering keep-alives after its resumption until it
/// notices it was deposed, while the real leader's countdown of the lease runs on and can expire it:
/// a candidate would then count its deadline from a renewal that the cluster never made, and lead
/// beside its successor. (The fault suite's overlap signal caught exactly that: a leader paused
/// 4 s.) So a renewal counts only once a linearizable read, which its member can answer only after
/// a quorum confirmed it as leader, reports the same term: no newer leader can then have existed
/// when the keep-alive was answered, since a newer term needs a quorum too, and quorums intersect.
struct KeepAliveAnswer: Sendable, Equatable {
    /// The TTL etcd reports, in seconds; 0 or less: the lease is gone.
    var ttl: Int64
    /// The Raft term of the member that answered.
    var raftTerm: UInt64

    /// Accepts the renewal when a linearizable read made after it reports the same Raft term.
    /// - Throws: `ElectionError.Code.storeUnavailable` otherwise (the renewal does not count; the
    ///   election renews again).
    func confirm(byLinearizableReadInTerm readTerm: UInt64, lease: LeaseID) throws {
        guard readTerm == raftTerm else {
            throw ElectionError.storeUnavailable(
                "the keep-alive of lease \(lease) was answered in Raft term \(raftTerm), but the cluster is in term \(readTerm): a member that was no longer the leader may have answered it, so the renewal does not count"
            )
        }
    }
}
