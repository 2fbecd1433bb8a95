import Foundation
import LeaderElection
import LeaderElectionSQLite
import Testing

/// Prints per-call times of the backend; measures, never asserts. Runs only when the environment
/// variable `SQLITE_BACKEND_FIGURES` is set, for example:
/// `SQLITE_BACKEND_FIGURES=1 swift test --filter SQLiteBackendFigures`.
@Suite("SQLite backend figures", .enabled(if: ProcessInfo.processInfo.environment["SQLITE_BACKEND_FIGURES"] != nil))
struct SQLiteBackendFigures {
    private func measure(_ what: String, iterations: Int, _ body: () async throws -> Void) async rethrows {
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<iterations { try await body() }
        let perCall = start.duration(to: clock.now) / iterations
        print("figure: \(what): \(perCall) per call over \(iterations) calls")
    }

    @Test func perCallTimes() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file()
            try await withBackends(2, on: path) { backends in
                let (backend, other) = (backends[0], backends[1])
                let lease = try await backend.grantLease(ttl: .seconds(60))
                let joined = try await backend.campaign(election: "e", lease: lease, value: "x")
                _ = try await other.campaign(election: "e", lease: try await other.grantLease(ttl: .seconds(60)), value: "y")
                try await measure("renewLease (shared connection)", iterations: 2000) { try await backend.renewLease(lease) }
                try await measure("leader (read transaction)", iterations: 2000) { _ = try await backend.leader(election: "e") }
                try await measure("candidates (read transaction)", iterations: 2000) { _ = try await backend.candidates(election: "e") }
                try await measure("waitUntilLeader when leading", iterations: 2000) { try await backend.waitUntilLeader(joined) }
                try await measure("grantLease + campaign + revokeLease", iterations: 500) {
                    let lease = try await other.grantLease(ttl: .seconds(60))
                    _ = try await other.campaign(election: "e", lease: lease, value: "z")
                    try await other.revokeLease(lease)
                }
                try await measure("open + renewLease + close (connection per call)", iterations: 200) {
                    let fresh = try await openBackend(path)
                    try await fresh.renewLease(lease)
                    try await fresh.close()
                }
                let clock = ContinuousClock()
                let start = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for task in 0..<4 {
                        let renewer = task.isMultiple(of: 2) ? backend : other
                        group.addTask { for _ in 0..<500 { try await renewer.renewLease(lease) } }
                    }
                    try await group.waitForAll()
                }
                print("figure: renewLease, 4 tasks on 2 backends: \(start.duration(to: clock.now) / 2000) per call over 2000 calls")
            }
        }
    }
}
