import BenchmarkSupport
import LeaderElection
import LeaderElectionEtcd
import Logging

/// etcd requests per second (gRPC messages etcd received: unary calls and stream messages)
/// caused by an idle leader and by an idle waiting candidate.
enum IdleLoad {
    struct Figures: Encodable, Sendable {
        var ttlSeconds: Double
        var windowSeconds: Double
        var baselinePerSecond: Double
        var leaderPerSecond: Double
        var waitingCandidatePerSecond: Double
    }

    static func run(_ server: EtcdServer, seconds: Double, logger: Logger) async throws -> Figures {
        let configuration = try EtcdConfiguration(url: "etcd://\(server.endpoint)")
        let ttl = Duration.seconds(5)
        func rate() async throws -> Double {
            let before = try server.requestsReceived()
            try await Task.sleep(for: .seconds(seconds))
            return (try server.requestsReceived() - before) / seconds
        }
        let baseline = try await rate()
        return try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { second in
                let name = "bench-idle"
                let leader = Election(
                    name: name, candidateID: "leader", backend: first, configuration: try .init(leaseTTL: ttl), logger: logger)
                let waiter = Election(
                    name: name, candidateID: "waiter", backend: second, configuration: try .init(leaseTTL: ttl), logger: logger)
                return try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await leader.whileLeader { _ in while true { try await Task.sleep(for: .seconds(3600)) } } }
                    try await waitUntil { leader.leadership != nil }
                    try await Task.sleep(for: .seconds(1))
                    let leaderRate = try await rate()
                    group.addTask { try await waiter.whileLeader { _ in while true { try await Task.sleep(for: .seconds(3600)) } } }
                    try await waitUntil { (try? await first.candidates(election: name).count) == 2 }
                    try await Task.sleep(for: .seconds(1))
                    let bothRate = try await rate()
                    group.cancelAll()
                    return Figures(
                        ttlSeconds: 5, windowSeconds: seconds, baselinePerSecond: baseline,
                        leaderPerSecond: leaderRate - baseline, waitingCandidatePerSecond: bothRate - leaderRate
                    )
                }
            }
        }
    }
}
