import LeaderElection
import Logging

/// Graceful handover of the library in process: two candidates, each on its own backend
/// (connection), hand leadership back and forth; a sample runs from `resign()` until the next
/// candidate's body starts. No process boundary, so it is compared with nothing.
public enum InProcessHandover {
    public static func run(
        first: any ElectionBackend, second: any ElectionBackend, name: String, count: Int, logger: Logger
    ) async throws -> [Double] {
        let elected = Locked<[String: Int64]>([:])
        let elections = try [("a", first), ("b", second)].map { id, backend in
            Election(
                name: name, candidateID: id, value: id, backend: backend, configuration: try .init(leaseTTL: .seconds(5)), logger: logger)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for election in elections {
                group.addTask {
                    try await election.whileLeader { _ in
                        elected.withLock { $0[election.candidateID] = monotonicNanoseconds() }
                        while true { try await Task.sleep(for: .seconds(3600)) }
                    }
                }
            }
            var samples: [Double] = []
            for _ in 0..<count {
                try await waitUntil {
                    (try? await first.candidates(election: name).count) == 2 && elections.contains { $0.leadership != nil }
                }
                // Steady state: the waiter is waiting on its notification or watch (etcd syncs a
                // watch that starts in the past within 100 ms).
                try await Task.sleep(for: .milliseconds(200))
                let leader = elections.first { $0.leadership != nil }!
                let successor = elections.first { $0 !== leader }!
                let start = monotonicNanoseconds()
                await leader.resign()
                try await waitUntil { (elected.withLock { $0[successor.candidateID] } ?? 0) > start }
                samples.append(milliseconds(from: start, to: elected.withLock { $0[successor.candidateID]! }))
            }
            group.cancelAll()
            return samples
        }
    }
}
