import LeaderElection
import LeaderElectionTesting
import Testing

@Suite("In-memory backend conformance")
struct InMemoryConformanceTests {
    @Test(arguments: BackendConformanceSuite.Check.allCases)
    func conformance(_ check: BackendConformanceSuite.Check) async throws {
        let backend = InMemoryBackend()
        try await BackendConformanceSuite(leaseTTL: .seconds(1)) { backend }.run(check)
    }
}
