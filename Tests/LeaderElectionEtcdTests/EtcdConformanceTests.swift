import LeaderElection
import LeaderElectionEtcd
import LeaderElectionTesting
import Logging
import Testing

extension EtcdIntegrationTests {
    /// The backend conformance suite against real etcd: a single member and a three-member cluster.
    @Suite("etcd backend conformance", .serialized, .timeLimit(.minutes(5)))
    struct EtcdConformanceTests {
        @Test("all checks on a cluster of N members", arguments: [1, 3])
        func conformance(members: Int) async throws {
            try await EtcdCluster.with(members: members) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { backend in
                    let suite = BackendConformanceSuite(leaseTTL: .seconds(2), timeout: .seconds(60)) { backend }
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
    }
}
