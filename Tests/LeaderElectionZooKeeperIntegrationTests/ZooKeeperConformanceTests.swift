import LeaderElection
import LeaderElectionTesting
import TestSupport
import Testing

@testable import LeaderElectionZooKeeper

extension ZooKeeperIntegrationTests {
    /// The backend conformance suite against real ZooKeeper: one server and a three-server ensemble.
    ///
    /// Connections are dropped from inside the backend (its sessions reconnect by themselves). The
    /// three servers run in network namespaces when the tests run as root, so that the check of a
    /// leader whose server lost its quorum runs too: server 1 (a follower: a fresh ensemble never
    /// elects it) is cut off from the other two.
    @Suite("ZooKeeper backend conformance", .serialized, .timeLimit(.minutes(5)))
    struct ZooKeeperConformanceTests {
        @Test("all checks on N servers", arguments: [1, 3])
        func conformance(servers: Int) async throws {
            let partitionable = servers == 3 && PartitionableNetwork.available
            try await ZooKeeperEnsemble.with(servers: servers, partitionable: partitionable) { ensemble in
                try await BackendPool<ZooKeeperBackend>.with(logger: TestLogger.make()) { pool in
                    try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(), logger: TestLogger.make()) { backend in
                        var faults = BackendConformanceSuite.StoreFaults(dropConnections: { backend in
                            guard let backend = backend as? ZooKeeperBackend else {
                                throw TestFailure("not a ZooKeeper backend: \(backend)")
                            }
                            backend.dropConnections()
                        })
                        if partitionable {
                            faults.quorumIsolation = {
                                let cut = ensemble.servers[0]
                                guard try ensemble.mode(of: cut) == "follower" else {
                                    throw TestFailure("server 1 should be a follower, it is \(try ensemble.mode(of: cut))")
                                }
                                return BackendConformanceSuite.StoreFaults.QuorumIsolation(
                                    minority: try pool.make(ensemble.configuration(of: [cut])),
                                    majority: try pool.make(ensemble.configuration(of: Array(ensemble.servers.dropFirst()))),
                                    isolate: {
                                        try ensemble.isolate(cut)
                                        return { try ensemble.heal(cut) }
                                    }
                                )
                            }
                        }
                        let suite = BackendConformanceSuite(leaseTTL: .seconds(2), timeout: .seconds(60), faults: faults) { backend }
                        if servers == 3, !partitionable {
                            print("ZooKeeper conformance: \(PartitionableNetwork.unavailable) (check renewalWithoutQuorum)")
                        }
                        for check in suite.applicableChecks {
                            do {
                                try await suite.run(check)
                            } catch {
                                Issue.record("\(servers) server(s), check \(check): \(error)")
                            }
                        }
                    }
                }
            }
        }
    }
}
