import LeaderElection
import LeaderElectionEtcd
import Testing

extension EtcdIntegrationTests {
    /// Behaviour of EtcdBackend beyond the conformance suite, on one real member.
    @Suite("etcd backend", .serialized, .timeLimit(.minutes(5)))
    struct EtcdBackendTests {
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

        @Test("requests to unreachable members fail with storeUnavailable naming the endpoints")
        func unreachable() async throws {
            let ports = try FreePorts.take(2)
            var configuration = try EtcdConfiguration(url: StoreURL("etcd://127.0.0.1:\(ports[0]),127.0.0.1:\(ports[1])"))
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
