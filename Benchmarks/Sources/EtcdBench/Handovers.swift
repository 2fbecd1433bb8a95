import BenchmarkSupport
import Glibc
import LeaderElection
import LeaderElectionEtcd
import Logging

/// Graceful handover: the leader resigns (the library in process) or gets SIGINT (`leader
/// campaign` and `etcdctl elect` processes), and the latency until the next candidate knows it leads.
enum Handovers {
    /// ``InProcessHandover`` on two etcd backends.
    static func swift(_ server: EtcdServer, count: Int, logger: Logger) async throws -> [Double] {
        let configuration = try EtcdConfiguration(url: "etcd://\(server.endpoint)")
        return try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { second in
                try await InProcessHandover.run(first: first, second: second, name: "bench-handover-swift", count: count, logger: logger)
            }
        }
    }

    /// `etcdctl elect` processes: the leader gets SIGINT, the waiting one prints its value.
    static func etcdctl(_ server: EtcdServer, etcdctl: String, count: Int, logger: Logger) async throws -> [Double] {
        let name = "bench-handover-etcdctl"
        let configuration = try EtcdConfiguration(url: "etcd://\(server.endpoint)")
        return try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { observer in
            var leader = try BenchProcess(binary: etcdctl, arguments: ["--endpoints", server.endpoint, "elect", name, "v0"])
            defer { leader.kill9() }
            guard leader.waitFor({ $0.text == "v0" }) != nil else { throw BenchError("etcdctl elect did not become leader") }
            var samples: [Double] = []
            for round in 1...count {
                let value = "v\(round)"
                let waiter = try BenchProcess(binary: etcdctl, arguments: ["--endpoints", server.endpoint, "elect", name, value])
                try await waitUntil { (try? await observer.candidates(election: name).count) == 2 }
                try await Task.sleep(for: .milliseconds(200))
                let start = monotonicNanoseconds()
                leader.send(SIGINT)
                guard let line = waiter.waitFor(after: start, { $0.text == value }) else {
                    waiter.kill9()
                    throw BenchError("etcdctl candidate \(value) was not elected within 30 s")
                }
                samples.append(milliseconds(from: start, to: line.arrivedAt))
                leader.waitForExit()
                leader = waiter
            }
            return samples
        }
    }
}

extension Handovers {
    /// ``CommandHandover`` timed exactly as ``etcdctl(_:etcdctl:count:logger:)`` is: SIGINT, until
    /// the next process's line reaches the benchmark.
    static func leaderCommand(_ server: EtcdServer, leader binary: String, count: Int, logger: Logger) async throws -> [Double] {
        let configuration = try EtcdConfiguration(url: "etcd://\(server.endpoint)")
        return try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { observer in
            try await CommandHandover.run(
                store: "etcd://\(server.endpoint)", leader: binary, observer: observer, count: count, signal: SIGINT, end: .lineArrival
            )
        }
    }
}

extension Handovers {
    /// The backend alone, without the Election core: revoke the leader's lease, until the
    /// waiter's `waitUntilLeader` returns.
    static func backendOnly(_ server: EtcdServer, count: Int, logger: Logger) async throws -> [Double] {
        let configuration = try EtcdConfiguration(url: "etcd://\(server.endpoint)")
        return try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await EtcdBackend.withBackend(configuration: configuration, logger: logger) { second in
                let name = "bench-handover-backend"
                var samples: [Double] = []
                var leaderLease = try await first.grantLease(ttl: .seconds(10))
                _ = try await first.waitUntilLeader(try await first.campaign(election: name, lease: leaderLease, value: "x"))
                var leaderBackend = first
                var waiterBackend = second
                for _ in 0..<count {
                    let lease = try await waiterBackend.grantLease(ttl: .seconds(10))
                    let candidacy = try await waiterBackend.campaign(election: name, lease: lease, value: "x")
                    let elected = Locked<Int64>(0)
                    let waiter = waiterBackend
                    let start = try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await waiter.waitUntilLeader(candidacy)
                            elected.withLock { $0 = monotonicNanoseconds() }
                        }
                        try await Task.sleep(for: .milliseconds(200))
                        let start = monotonicNanoseconds()
                        try await leaderBackend.revokeLease(leaderLease)
                        try await group.waitForAll()
                        return start
                    }
                    samples.append(milliseconds(from: start, to: elected.withLock { $0 }))
                    leaderLease = lease
                    swap(&leaderBackend, &waiterBackend)
                }
                try await leaderBackend.revokeLease(leaderLease)
                return samples
            }
        }
    }
}
