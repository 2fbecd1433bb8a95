import LeaderElection
import LeaderElectionTesting
import Testing

@Suite("In-memory backend conformance", .serialized, .timeLimit(.minutes(3)))
struct InMemoryConformanceTests {
    @Test(arguments: BackendConformanceSuite.Check.allCases.filter { $0.applies(to: BackendConformanceSuite.StoreFaults()) })
    func conformance(_ check: BackendConformanceSuite.Check) async throws {
        let backend = InMemoryBackend()
        try await BackendConformanceSuite(leaseTTL: .seconds(2)) { backend }.run(check)
    }
}
