import Glibc
import LeaderElection
import LeaderElectionEtcd
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// A Swift leader facing etcd members that crash or stop answering.
    @Suite("etcd member faults", .serialized, .timeLimit(.minutes(5)))
    struct EtcdFaultTests {
        @Test("killing the Raft leader member: leadership is kept or cleanly lost, never two leaders")
        func raftLeaderKilled() async throws {
            try await EtcdCluster.with(members: 3) { cluster in
                let ttl = Duration.seconds(5)
                let clock = ContinuousClock()
                // Each candidate has its own connection, as separate processes would.
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { second in
                        let intervals = Locked<[(id: String, start: ContinuousClock.Instant, end: ContinuousClock.Instant?)]>([])
                        let elections = [("a", first), ("b", second)].map { id, backend in
                            (
                                id,
                                Election(
                                    name: "fault-kill", candidateID: id, backend: backend, configuration: try! .init(leaseTTL: ttl),
                                    logger: TestLogger.make())
                            )
                        }
                        try await withThrowingTaskGroup(of: Void.self) { group in
                            for (id, election) in elections {
                                group.addTask {
                                    try? await election.whileLeader { _ in
                                        let index = intervals.withLock { list -> Int in
                                            list.append((id, clock.now, nil))
                                            return list.count - 1
                                        }
                                        defer { intervals.withLock { $0[index].end = clock.now } }
                                        while true { try await Task.sleep(for: .seconds(3600)) }
                                    }
                                }
                            }
                            try await waitUntil(timeout: .seconds(30)) { intervals.withLock { $0.count } == 1 }
                            let raftLeader = try await cluster.raftLeader()
                            raftLeader.process.kill()
                            let killedAt = clock.now
                            // Wait until a TTL passed since the kill and the store's leader is a candidate whose body runs.
                            try await waitUntil(timeout: .seconds(60)) {
                                guard clock.now - killedAt > ttl + .seconds(1) else { return false }
                                guard let leader = try? await first.leader(election: "fault-kill") else { return false }
                                let running = intervals.withLock { $0.filter { $0.end == nil }.map(\.id) }
                                return running == [leader.value]
                            }
                            group.cancelAll()
                        }
                        let all = intervals.withLock { $0 }
                        for (index, interval) in all.enumerated() {
                            for other in all[(index + 1)...] {
                                let overlap = interval.start < (other.end ?? clock.now) && other.start < (interval.end ?? clock.now)
                                #expect(!overlap, "\(interval.id) and \(other.id) led at the same time")
                            }
                        }
                    }
                }
            }
        }

        @Test("every member paused: the leadership body is cancelled before the lease can expire at the server")
        func allMembersPaused() async throws {
            try await EtcdCluster.with(members: 3) { cluster in
                let ttl = Duration.seconds(3)
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { backend in
                    let election = Election(
                        name: "fault-pause", candidateID: "a", backend: backend, configuration: try .init(leaseTTL: ttl),
                        logger: TestLogger.make())
                    let lastDeadline = Locked<Duration?>(nil)
                    let leads = AsyncGate()
                    let stoppedAt = Locked<Duration?>(nil)
                    let cancelledAt = Locked<Duration?>(nil)
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try? await election.withLeadership { leadership in
                                leads.open()
                                do {
                                    while true {
                                        lastDeadline.withLock { $0 = leadership.deadline }
                                        try await Task.sleep(for: .milliseconds(10))
                                    }
                                } catch {
                                    cancelledAt.withLock { $0 = election.now() }
                                    throw error
                                }
                            }
                        }
                        await leads.wait()
                        // Let a renewal or two be acknowledged first.
                        try await Task.sleep(for: ttl / 2)
                        for member in cluster.members { member.process.signal(SIGSTOP) }
                        stoppedAt.withLock { $0 = election.now() }
                        defer { for member in cluster.members { member.process.signal(SIGCONT) } }
                        try await waitUntil(timeout: ttl * 3) { cancelledAt.withLock { $0 } != nil }
                        group.cancelAll()
                    }
                    let stopped = try #require(stoppedAt.withLock { $0 })
                    let cancelled = try #require(cancelledAt.withLock { $0 })
                    let deadline = try #require(lastDeadline.withLock { $0 })
                    // The server expires the lease no earlier than (last acknowledged renewal sent) + TTL,
                    // and that send happened before the members were stopped.
                    #expect(cancelled - stopped < ttl, "cancelled \(cancelled - stopped) after the members stopped, TTL \(ttl)")
                    #expect(cancelled <= deadline + .milliseconds(50), "cancelled at \(cancelled), after the local deadline \(deadline)")
                }
            }
        }
    }
}

/// Polls `condition` until it holds; fails after `timeout`.
func waitUntil(timeout: Duration, _ condition: () async -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !(await condition()) {
        guard clock.now < deadline else { throw TestFailure("condition not met within \(timeout)") }
        try await Task.sleep(for: .milliseconds(10))
    }
}
