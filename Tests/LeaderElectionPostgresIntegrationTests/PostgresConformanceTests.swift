import LeaderElection
import LeaderElectionPostgres
import LeaderElectionTesting
import TestSupport
import Testing

/// The backend conformance suite against a real PostgreSQL server, with three backends (standing
/// for three processes) on one fresh database.
@Suite(
    "PostgreSQL backend conformance",
    .serialized,
    .timeLimit(.minutes(5)),
    .enabled(if: PostgresTestServer.enabled, PostgresTestServer.skipReason)
)
struct PostgresConformanceTests {
    @Test("every check of the conformance suite")
    func conformance() async throws {
        let configuration = try await PostgresTestServer.freshDatabase()
        let logger = PostgresTestServer.logger
        try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { second in
                try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { third in
                    let backends = [first, second, third]
                    let next = Locked(0)
                    // Dropping connections: the server terminates every session of the database
                    // (the listening connections too, so notifications sent meanwhile are lost).
                    let faults = BackendConformanceSuite.StoreFaults(dropConnections: { _ in
                        try await PostgresTestServer.terminateSessions(configuration)
                    })
                    let suite = BackendConformanceSuite(leaseTTL: .seconds(2), timeout: .seconds(60), faults: faults) {
                        backends[
                            next.withLock { value in
                                defer { value += 1 }
                                return value % backends.count
                            }]
                    }
                    for check in suite.applicableChecks {
                        do {
                            try await suite.run(check)
                        } catch {
                            Issue.record("check \(check): \(error)")
                        }
                    }
                }
            }
        }
    }
}
