import BenchmarkSupport
import Glibc
import LeaderElection
import LeaderElectionPostgres
import LeaderElectionZooKeeper
import Logging

/// Graceful handover: the leader resigns (the library in process) or gets SIGTERM (`leader
/// campaign` and kazoo processes), and the latency until the next candidate knows it leads.
enum Handovers {
    /// ``InProcessHandover`` on two PostgreSQL backends.
    static func postgres(_ configuration: PostgresConfiguration, count: Int, logger: Logger) async throws -> [Double] {
        try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { second in
                try await InProcessHandover.run(
                    first: first, second: second, name: "bench-handover-\(getpid())", count: count, logger: logger)
            }
        }
    }

    /// ``InProcessHandover`` on two ZooKeeper backends.
    static func zookeeper(_ configuration: ZooKeeperConfiguration, count: Int, logger: Logger) async throws -> [Double] {
        try await ZooKeeperBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await ZooKeeperBackend.withBackend(configuration: configuration, logger: logger) { second in
                try await InProcessHandover.run(
                    first: first, second: second, name: "bench-handover-\(getpid())", count: count, logger: logger)
            }
        }
    }

    /// kazoo `Election` candidates (scripts/kazoo-election.py): the leader gets SIGTERM and
    /// resigns, the waiting one prints when it was elected.
    static func kazoo(
        python: String, script: String, configuration: ZooKeeperConfiguration, hosts: String, count: Int, logger: Logger
    ) async throws -> [Double] {
        try await ZooKeeperBackend.withBackend(configuration: configuration, logger: logger) { observer in
            try await kazoo(python: python, script: script, hosts: hosts, observer: observer, count: count)
        }
    }

    private static func kazoo(
        python: String, script: String, hosts: String, observer: any ElectionBackend, count: Int
    ) async throws -> [Double] {
        let path = "/bench-handover-kazoo-\(getpid())"
        func start(_ id: Int) throws -> BenchProcess {
            try BenchProcess(binary: python, arguments: [script, "candidate", hosts, path, "k\(id)"])
        }
        var leader = try start(0)
        defer { leader.kill9() }
        guard leader.waitFor(timeout: .seconds(60), { $0.event == "elected" }) != nil else {
            throw BenchError("the first kazoo candidate was not elected; is kazoo installed (python3 -m pip install kazoo)?")
        }
        var samples: [Double] = []
        for round in 1...count {
            let waiter = try start(round)
            try await waitUntil { (try? await observer.candidates(election: path).count) == 2 }
            try await Task.sleep(for: .milliseconds(100))
            let begin = monotonicNanoseconds()
            leader.send(SIGTERM)
            guard let line = waiter.waitFor(after: begin, timeout: .seconds(60), { $0.event == "elected" }) else {
                waiter.kill9()
                throw BenchError("kazoo candidate k\(round) was not elected within 60 s")
            }
            let electedAt = line.text.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? line.arrivedAt
            samples.append(milliseconds(from: begin, to: electedAt))
            leader.waitForExit()
            leader = waiter
        }
        return samples
    }
}
