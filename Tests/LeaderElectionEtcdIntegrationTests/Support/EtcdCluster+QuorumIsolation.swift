import LeaderElection
import LeaderElectionTesting
import TestSupport

extension EtcdCluster {
    /// Which member a quorum isolation cuts off.
    enum CutMember: String, Sendable, CustomStringConvertible {
        /// The Raft leader: until it notices that it lost its quorum (etcd's check-quorum, within
        /// two election timeouts) it still acknowledges lease renewals on its own.
        case raftLeader = "the Raft leader"
        /// A follower: it forwards renewals to the leader, which it no longer reaches.
        case follower = "a follower"

        var description: String { rawValue }
    }

    /// The conformance suite's quorum isolation on this (partitionable) cluster: a minority backend
    /// that talks only to the member `cut` picks, a majority backend that talks only to the two
    /// others, both fresh from `pool`; isolating cuts that member off from the others' peer
    /// traffic (its clients still reach it); healing reconnects it and waits until every member
    /// serves linearizable reads again, so that later checks find a whole cluster.
    func quorumIsolation(cutting cut: CutMember, pool: EtcdBackendPool) async throws -> BackendConformanceSuite.StoreFaults.QuorumIsolation
    {
        guard network != nil else { throw TestFailure("the cluster was not started partitionable") }
        let leader = try await raftLeader()
        let member = cut == .raftLeader ? leader : members.first { $0.index != leader.index }!
        let others = members.filter { $0.index != member.index }
        return BackendConformanceSuite.StoreFaults.QuorumIsolation(
            minority: try pool.make(configuration(of: [member])),
            majority: try pool.make(configuration(of: others)),
            isolate: {
                // The Raft leader may have moved since the set-up (rarely, on a loaded machine).
                let isLeader = try await self.raftLeader().index == member.index
                guard isLeader == (cut == .raftLeader) else {
                    throw TestFailure("\(member.name) was to be cut off as \(cut), but the Raft leader moved")
                }
                try self.isolate(member)
                return {
                    try self.heal(member)
                    try await self.waitUntilHealthy(self.members)
                }
            }
        )
    }
}
