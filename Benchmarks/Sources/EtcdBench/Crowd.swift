import BenchmarkSupport
import LeaderElection
import LeaderElectionEtcd
import Logging

/// Many waiting candidates in one election: handover latency, and how many watch events etcd
/// sends per handover (each waiter watches only its predecessor, so ideally one).
enum Crowd {
    struct Figures: Encodable, Sendable {
        var candidates: Int
        var connections: Int
        var ttlSeconds: Double
        var handoverMilliseconds: Statistics
        var watchEventsPerHandover: Double
    }

    static func run(_ server: EtcdServer, candidates count: Int, handovers: Int, logger: Logger) async throws -> Figures {
        let configuration = try EtcdConfiguration(url: "etcd://\(server.endpoint)")
        let connections = 10
        let ttl = Duration.seconds(10)
        let backends = try (0..<connections).map { _ in try EtcdBackend(configuration: configuration, logger: logger) }
        let name = "bench-crowd"
        let elected = Locked<(id: Int, at: Int64)?>(nil)
        let elections = try (0..<count).map { index in
            Election(
                name: name, candidateID: "c\(index)", backend: backends[index % connections], configuration: try .init(leaseTTL: ttl),
                logger: logger)
        }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for backend in backends { group.addTask { try await backend.run() } }
            for (index, election) in elections.enumerated() {
                group.addTask {
                    try await election.whileLeader { _ in
                        elected.withLock { $0 = (index, monotonicNanoseconds()) }
                        while true { try await Task.sleep(for: .seconds(3600)) }
                    }
                }
            }
            defer {
                for backend in backends { backend.shutdown() }
                group.cancelAll()
            }
            try await waitUntil(timeout: .seconds(300)) {
                (try? await backends[0].candidates(election: name).count) == count && elected.withLock { $0 } != nil
            }
            var samples: [Double] = []
            var events = 0.0
            for _ in 0..<handovers {
                try await waitUntil(timeout: .seconds(120)) { (try? await backends[0].candidates(election: name).count) == count }
                try await Task.sleep(for: .milliseconds(50))
                let leader = try requireLeaderValue(elected.withLock { $0 })
                let eventsBefore = try server.watchEventsSent()
                let start = monotonicNanoseconds()
                await elections[leader.id].resign()
                try await waitUntil { (elected.withLock { $0 }?.at ?? 0) > start }
                samples.append(milliseconds(from: start, to: elected.withLock { $0 }!.at))
                // Let the deposed leader rejoin the queue before the counters are read.
                try await waitUntil(timeout: .seconds(120)) { (try? await backends[0].candidates(election: name).count) == count }
                events += try server.watchEventsSent() - eventsBefore
            }
            return Figures(
                candidates: count, connections: connections, ttlSeconds: 10,
                handoverMilliseconds: Statistics(samples),
                watchEventsPerHandover: events / Double(handovers)
            )
        }
    }

    private static func requireLeaderValue(_ value: (id: Int, at: Int64)?) throws -> (id: Int, at: Int64) {
        guard let value else { throw BenchError("no candidate leads") }
        return value
    }
}
