import LeaderElection
import LeaderElectionSQLite
import LeaderElectionTesting
import TestSupport
import Testing

@Suite("SQLite backend conformance", .serialized, .timeLimit(.minutes(3)))
struct SQLiteConformanceTests {
    @Test(arguments: BackendConformanceSuite.Check.allCases.filter { $0.applies(to: BackendConformanceSuite.StoreFaults()) })
    func conformance(_ check: BackendConformanceSuite.Check) async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            // Every backend the suite asks for stands for another process sharing the file.
            let opened = Locked<[SQLiteBackend]>([])
            let suite = BackendConformanceSuite(leaseTTL: .seconds(2)) {
                let backend = try await openBackend(path)
                opened.withLock { $0.append(backend) }
                return backend
            }
            var failure: (any Error)?
            do {
                try await suite.run(check)
            } catch {
                failure = error
            }
            for backend in opened.value { try await backend.close() }
            if let failure { throw failure }
        }
    }
}
