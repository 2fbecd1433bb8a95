import Glibc
import LeaderElection
import LeaderElectionEtcd
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// Swift candidates and etcd's own `etcdctl elect` share one election.
    @Suite("interop with etcdctl elect", .serialized, .timeLimit(.minutes(5)))
    struct EtcdctlInteropTests {
        @Test("etcdctl elect -l shows a Swift leader; an etcdctl candidate waits behind it")
        func swiftLeaderSeenByEtcdctl() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { backend in
                    let election = Election(
                        name: "interop-swift-leads", candidateID: "swift-1", value: "swift-value",
                        backend: backend, configuration: try .init(leaseTTL: .seconds(5)), logger: TestLogger.make()
                    )
                    let leads = AsyncGate()
                    let release = AsyncGate()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            try await election.withLeadership { _ in
                                leads.open()
                                await release.wait()
                            }
                        }
                        await leads.wait()
                        let key = try #require(try await backend.leader(election: "interop-swift-leads")).key
                        let listener = try TestProcess.start(
                            try #require(EtcdBinaries.etcdctl),
                            ["--endpoints", cluster.endpointsArgument, "elect", "-l", "interop-swift-leads"]
                        )
                        defer { listener.kill() }
                        _ = try await listener.waitForLine { $0 == key }
                        _ = try await listener.waitForLine { $0 == "swift-value" }

                        // An etcdctl candidate queues behind the Swift leader and is elected when it resigns.
                        let goCandidate = try TestProcess.start(
                            try #require(EtcdBinaries.etcdctl),
                            ["--endpoints", cluster.endpointsArgument, "elect", "interop-swift-leads", "go-value"]
                        )
                        defer { goCandidate.kill() }
                        let candidates = try await waitForCandidates(backend, "interop-swift-leads", count: 2)
                        #expect(candidates[0].value == "swift-value")
                        #expect(candidates[1].value == "go-value")
                        #expect(
                            goCandidate.output.isEmpty, "etcdctl claimed leadership while the Swift candidate led: \(goCandidate.output)")
                        release.open()
                        try await group.waitForAll()
                        await election.resign()
                        _ = try await goCandidate.waitForLine { $0 == "go-value" }
                        let leader = try await backend.leader(election: "interop-swift-leads")
                        #expect(leader?.value == "go-value")
                        _ = try await listener.waitForLine { $0 == "go-value" }
                    }
                }
            }
        }

        @Test("a Swift candidate waits while etcdctl elect leads, and is elected after its SIGINT")
        func etcdctlLeaderBlocksSwift() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { backend in
                    let name = "interop-go-leads"
                    let goLeader = try TestProcess.start(
                        try #require(EtcdBinaries.etcdctl), ["--endpoints", cluster.endpointsArgument, "elect", name, "go-leader"])
                    defer { goLeader.kill() }
                    let goKey = try await goLeader.waitForLine { $0.hasPrefix("\(name)/") }
                    _ = try await goLeader.waitForLine { $0 == "go-leader" }

                    let election = Election(
                        name: name, candidateID: "swift", value: "swift-value",
                        backend: backend, configuration: try .init(leaseTTL: .seconds(5)), logger: TestLogger.make()
                    )
                    let clock = ContinuousClock()
                    let interruptedAt = Locked<ContinuousClock.Instant?>(nil)
                    let goToken = Locked<FencingToken?>(nil)
                    let elected = try await withThrowingTaskGroup(of: (ContinuousClock.Instant, FencingToken).self) { group in
                        group.addTask {
                            try await election.withLeadership { leadership in (clock.now, leadership.token) }
                        }
                        let candidates = try await waitForCandidates(backend, name, count: 2)
                        #expect(candidates[0].key == goKey)
                        goToken.withLock { $0 = candidates[0].token }
                        #expect(candidates[1].value == "swift-value")
                        #expect(election.leadership == nil, "the Swift candidate led while etcdctl elect held leadership")
                        interruptedAt.withLock { $0 = clock.now }
                        goLeader.signal(SIGINT)
                        let result = try await group.next()!
                        return result
                    }
                    let interrupted = try #require(interruptedAt.withLock { $0 })
                    #expect(elected.0 > interrupted, "the Swift candidate was elected before etcdctl resigned")
                    let previousToken = try #require(goToken.withLock { $0 })
                    #expect(elected.1 > previousToken, "fencing tokens must increase across Go and Swift leaders")
                    _ = try await goLeader.waitForExit()
                }
            }
        }
    }
}

/// Polls until `election` has at least `count` candidates.
func waitForCandidates(_ backend: EtcdBackend, _ election: String, count: Int, timeout: Duration = .seconds(30)) async throws -> [Candidacy]
{
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        let candidates = try await backend.candidates(election: election)
        if candidates.count >= count { return candidates }
        guard clock.now < deadline else {
            throw TestFailure("election \(election) has \(candidates.count) candidates, expected \(count), after \(timeout)")
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}
