import LeaderElection
import LeaderElectionEtcd
import LeaderElectionTesting
import Logging
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// The backend conformance suite against real etcd: a single member and a three-member cluster.
    ///
    /// The backend under test reaches its members through proxies, so that the suite can drop all
    /// its connections (it reconnects by itself). The three members run in network namespaces when
    /// the tests run as root, so that the check of a leader whose member lost its quorum runs too:
    /// the conformance run cuts a follower off, ``renewalWithoutQuorumOnTheRaftLeader()`` the Raft
    /// leader.
    @Suite("etcd backend conformance", .serialized, .timeLimit(.minutes(5)))
    struct EtcdConformanceTests {
        @Test("all checks on a cluster of N members", arguments: [1, 3])
        func conformance(members: Int) async throws {
            let partitionable = members == 3 && PartitionableNetwork.available
            if members == 3, !partitionable {
                print("etcd conformance: check renewalWithoutQuorum left out: \(PartitionableNetwork.unavailable)")
            }
            try await EtcdCluster.with(members: members, partitionable: partitionable) { cluster in
                try await EtcdBackendPool.with { pool in
                    let backend = try pool.makeProxied(to: cluster.members)
                    var faults = BackendConformanceSuite.StoreFaults(dropConnections: { try pool.dropConnections(of: $0) })
                    if partitionable {
                        faults.quorumIsolation = { try await cluster.quorumIsolation(cutting: .follower, pool: pool) }
                    }
                    let suite = BackendConformanceSuite(leaseTTL: .seconds(2), timeout: .seconds(60), faults: faults) { backend }
                    #expect(suite.applicableChecks.contains(.observeAcrossReconnect))
                    #expect(suite.applicableChecks.contains(.renewalWithoutQuorum) == partitionable)
                    for check in suite.applicableChecks {
                        do {
                            try await suite.run(check)
                        } catch {
                            Issue.record("\(members)-member cluster, check \(check): \(error)")
                        }
                    }
                }
            }
        }

        /// The quorum check again, on a cluster of its own, with the Raft leader cut off: until it
        /// steps down (etcd's check-quorum, within two election timeouts) it still acknowledges
        /// the cut-off candidate's renewals on its own, while the other two elect a new leader.
        ///
        /// The members elect after 500 ms of silence instead of etcd's default 1 s. The check's
        /// majority candidate campaigns once (`withLeadership`), and no member can acknowledge a
        /// renewal of its lease until the two others have elected a new Raft leader: with the
        /// default, that takes 1 to 2 s, about the 1.8 s its 2 s lease lasts locally, and its term
        /// ends unelected in about a third of the runs (the backend is right to end it), after which
        /// nobody takes over and the check times out.
        @Test(
            "a leader whose member (the Raft leader) lost its quorum is cancelled before the others elect another",
            .enabled(if: PartitionableNetwork.available, Comment(rawValue: PartitionableNetwork.unavailable))
        )
        func renewalWithoutQuorumOnTheRaftLeader() async throws {
            try await EtcdCluster.with(members: 3, partitionable: true, extraArguments: ["--election-timeout", "500"]) { cluster in
                try await EtcdBackendPool.with { pool in
                    let faults = BackendConformanceSuite.StoreFaults(quorumIsolation: {
                        try await cluster.quorumIsolation(cutting: .raftLeader, pool: pool)
                    })
                    let suite = BackendConformanceSuite(leaseTTL: .seconds(2), timeout: .seconds(60), faults: faults) {
                        try pool.make(cluster.configuration())
                    }
                    try await suite.run(.renewalWithoutQuorum)
                }
            }
        }
    }
}
