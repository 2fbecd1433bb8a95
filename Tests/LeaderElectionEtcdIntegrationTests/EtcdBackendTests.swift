import ChildProcesses
import LeaderElection
import LeaderElectionEtcd
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// Behaviour of EtcdBackend beyond the conformance suite, on one real member.
    @Suite("etcd backend", .serialized, .timeLimit(.minutes(5)))
    struct EtcdBackendTests {
        @Test("a shutdown that comes before run() makes it end at once, without connecting")
        func shutdownBeforeRun() async throws {
            let backend = try EtcdBackend(configuration: .init(endpoints: [.init(host: "127.0.0.1", port: 1)]), logger: TestLogger.make())
            backend.shutdown()
            try await backend.run()
        }

        @Test("keys, tokens, leases and errors follow etcd's election")
        func basics() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { backend in
                    // A sub-second TTL is rounded up to whole seconds; etcd may raise it to its minimum.
                    let lease = try await backend.grantLease(ttl: .milliseconds(2500))
                    let remaining = try #require(try await backend.remainingTime(of: lease))
                    #expect(remaining > .seconds(1) && remaining <= .seconds(3))

                    let candidacy = try await backend.campaign(election: "basics", lease: lease, value: "v1")
                    #expect(candidacy.key == "basics/\(String(UInt64(bitPattern: lease.rawValue), radix: 16))")
                    // Campaigning again with the same lease returns the same candidacy, proclaiming the new value.
                    let again = try await backend.campaign(election: "basics", lease: lease, value: "v2")
                    #expect(again.token == candidacy.token)
                    #expect(try await backend.leader(election: "basics")?.value == "v2")
                    try await backend.renewLease(lease)

                    try await backend.revokeLease(lease)
                    try await backend.revokeLease(lease)  // already gone: fine
                    #expect(try await backend.remainingTime(of: lease) == nil)
                    #expect(try await backend.leader(election: "basics") == nil)
                    await #expect(throws: ElectionError.self) { try await backend.renewLease(lease) }
                    let error = await #expect(throws: ElectionError.self) {
                        _ = try await backend.campaign(election: "basics", lease: lease, value: "v3")
                    }
                    #expect(error?.code == .leaseExpired)
                    let waitError = await #expect(throws: ElectionError.self) { try await backend.waitUntilLeader(candidacy) }
                    #expect(waitError?.code == .leaseExpired)
                }
            }
        }

        @Test("a waiter leads once no older candidate is left, not when only its predecessor leaves")
        func waiterLeadsAfterEveryOlderCandidate() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { backend in
                    var leases: [LeaseID] = []
                    var candidacies: [Candidacy] = []
                    for value in ["a", "b", "c"] {
                        let lease = try await backend.grantLease(ttl: .seconds(30))
                        leases.append(lease)
                        candidacies.append(try await backend.campaign(election: "queue", lease: lease, value: value))
                    }
                    let outcomes = Locked<[String: String]>([:])
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for candidacy in candidacies.dropFirst() {
                            group.addTask {
                                do {
                                    try await backend.waitUntilLeader(candidacy)
                                    outcomes.withLock { $0[candidacy.value] = "led" }
                                } catch let error as ElectionError where error.code == .leaseExpired {
                                    outcomes.withLock { $0[candidacy.value] = "lost" }
                                }
                            }
                        }
                        // c waits behind two older candidates; its predecessor b leaves first.
                        try await Task.sleep(for: .milliseconds(300))
                        try await backend.revokeLease(leases[1])
                        try await Task.sleep(for: .milliseconds(300))
                        #expect(outcomes.withLock { $0 } == ["b": "lost"])
                        try await backend.revokeLease(leases[0])
                        try await group.waitForAll()
                    }
                    #expect(outcomes.withLock { $0 } == ["b": "lost", "c": "led"])
                    try await backend.revokeLease(leases[2])
                }
            }
        }

        @Test("a waiter right behind the leader stops when its own key is deleted")
        func waiterStopsWhenItsKeyIsDeleted() async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { backend in
                    let leaderLease = try await backend.grantLease(ttl: .seconds(30))
                    let leader = try await backend.campaign(election: "deleted", lease: leaderLease, value: "leader")
                    let waiterLease = try await backend.grantLease(ttl: .seconds(30))
                    let waiter = try await backend.campaign(election: "deleted", lease: waiterLease, value: "waiter")
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            let error = await #expect(throws: ElectionError.self) { try await backend.waitUntilLeader(waiter) }
                            #expect(error?.code == .leaseExpired)
                        }
                        try await Task.sleep(for: .milliseconds(300))
                        // Its key goes (the lease stays), then the leader's: it must not lead.
                        try await backend.resign(waiter)
                        try await backend.resign(leader)
                        try await group.waitForAll()
                    }
                    try await backend.revokeLease(leaderLease)
                    try await backend.revokeLease(waiterLease)
                }
            }
        }

        @Test("requests to unreachable members fail with storeUnavailable naming the endpoints")
        func unreachable() async throws {
            let ports = try FreePort.pick(2)
            var configuration = try EtcdConfiguration(url: "etcd://127.0.0.1:\(ports[0]),127.0.0.1:\(ports[1])")
            configuration.connectTimeout = .milliseconds(200)
            let error = await #expect(throws: ElectionError.self) {
                try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    _ = try await backend.grantLease(ttl: .seconds(2))
                }
            }
            #expect(error?.code == .storeUnavailable)
            #expect(error?.message.contains("127.0.0.1:\(ports[0]),127.0.0.1:\(ports[1])") == true, "\(String(describing: error))")
        }
    }
}
