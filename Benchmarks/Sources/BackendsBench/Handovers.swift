import BenchmarkSupport
import Glibc
import LeaderElection
import LeaderElectionPostgres
import LeaderElectionZooKeeper
import Logging

/// Graceful handover: the leader resigns (the library in process) or gets SIGTERM (`leader
/// campaign` and kazoo processes), and the latency until the next candidate knows it leads.
enum Handovers {
    /// ``swift(first:second:name:count:logger:)`` on two PostgreSQL backends.
    static func postgres(_ configuration: PostgresConfiguration, count: Int, logger: Logger) async throws -> [Double] {
        try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await PostgresBackend.withBackend(configuration: configuration, logger: logger) { second in
                try await swift(first: first, second: second, name: "bench-handover-\(getpid())", count: count, logger: logger)
            }
        }
    }

    /// ``swift(first:second:name:count:logger:)`` on two ZooKeeper backends.
    static func zookeeper(_ configuration: ZooKeeperConfiguration, count: Int, logger: Logger) async throws -> [Double] {
        try await ZooKeeperBackend.withBackend(configuration: configuration, logger: logger) { first in
            try await ZooKeeperBackend.withBackend(configuration: configuration, logger: logger) { second in
                try await swift(first: first, second: second, name: "bench-handover-\(getpid())", count: count, logger: logger)
            }
        }
    }

    /// Two Swift candidates, each on its own backend (connection), handing leadership back and forth.
    static func swift(first: any ElectionBackend, second: any ElectionBackend, name: String, count: Int, logger: Logger) async throws -> [Double] {
        let elected = Locked<[String: Int64]>([:])
        let elections = try [("a", first), ("b", second)].map { id, backend in
            Election(name: name, candidateID: id, value: id, backend: backend, configuration: try .init(leaseTTL: .seconds(5)), logger: logger)
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
                try await waitUntil { (try? await first.candidates(election: name).count) == 2 && elections.contains { $0.leadership != nil } }
                // Steady state: the waiter is waiting on its notification or watch.
                try await Task.sleep(for: .milliseconds(100))
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

    /// kazoo `Election` candidates (scripts/kazoo-election.py): the leader gets SIGTERM and
    /// resigns, the waiting one prints when it was elected.
    static func kazoo(python: String, script: String, configuration: ZooKeeperConfiguration, hosts: String, count: Int, logger: Logger) async throws -> [Double] {
        try await ZooKeeperBackend.withBackend(configuration: configuration, logger: logger) { observer in
            try await kazoo(python: python, script: script, hosts: hosts, observer: observer, count: count)
        }
    }

    private static func kazoo(python: String, script: String, hosts: String, observer: any ElectionBackend, count: Int) async throws -> [Double] {
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

extension Handovers {
    /// `leader campaign` processes on `store`, timed exactly as ``kazoo(python:script:configuration:hosts:count:logger:)``
    /// is: the leader gets SIGTERM, and the sample ends at the boot-time stamp the next process
    /// prints when it is elected (`mono_ns`; kazoo's script prints the same clock). Process to
    /// process on both sides, so the ratio compares like with like.
    static func leaderCommand(store: String, leader binary: String, observer: any ElectionBackend, count: Int) async throws -> [Double] {
        let name = "bench-handover-leader-\(getpid())"
        func start(_ id: Int) throws -> BenchProcess {
            try BenchProcess(binary: binary, arguments: ["campaign", name, "--store", store, "--ttl", "5", "--id", "c\(id)"])
        }
        var leader = try start(0)
        defer { leader.kill9() }
        guard leader.waitFor(timeout: .seconds(60), { $0.event == "elected" }) != nil else {
            throw BenchError("the first leader campaign on \(store) was not elected; is \(binary) the leader command?")
        }
        var samples: [Double] = []
        for round in 1...count {
            let waiter = try start(round)
            try await waitUntil { (try? await observer.candidates(election: name).count) == 2 }
            try await Task.sleep(for: .milliseconds(100))
            let begin = monotonicNanoseconds()
            leader.send(SIGTERM)
            guard let line = waiter.waitFor(after: begin, timeout: .seconds(60), { $0.event == "elected" }) else {
                waiter.kill9()
                throw BenchError("leader campaign c\(round) on \(store) was not elected within 60 s")
            }
            samples.append(milliseconds(from: begin, to: line.mono > 0 ? line.mono : line.arrivedAt))
            leader.waitForExit()
            leader = waiter
        }
        return samples
    }
}

/// Polls `condition` every millisecond until it holds (60 s at most).
func waitUntil(timeout: Duration = .seconds(60), _ condition: () async -> Bool) async throws {
    let end = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < end else { throw BenchError("a condition was not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(1))
    }
}
