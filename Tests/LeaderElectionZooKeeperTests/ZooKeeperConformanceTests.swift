import LeaderElection
import LeaderElectionTesting
import LeaderElectionZooKeeper
import Testing

extension ZooKeeperIntegrationTests {
    /// The backend conformance suite against real ZooKeeper: one server and a three-server ensemble.
    @Suite("ZooKeeper backend conformance", .serialized, .timeLimit(.minutes(5)))
    struct ZooKeeperConformanceTests {
        @Test("all checks on N servers", arguments: [1, 3])
        func conformance(servers: Int) async throws {
            try await ZooKeeperEnsemble.with(servers: servers) { ensemble in
                try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(), logger: TestLogger.make()) { backend in
                    let suite = BackendConformanceSuite(leaseTTL: .seconds(2), timeout: .seconds(60)) { backend }
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
