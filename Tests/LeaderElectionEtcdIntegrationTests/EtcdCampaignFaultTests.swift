import LeaderElection
import LeaderElectionEtcd
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// Campaigns that fail part-way against a real member: the candidate's requests pass through
    /// a proxy that can lose the member's answers.
    @Suite("etcd campaign faults", .serialized, .timeLimit(.minutes(5)))
    struct EtcdCampaignFaultTests {
        @Test("a campaign whose transaction succeeded but whose answer was lost reuses its key")
        func lostCampaignAnswer() async throws {
            try await withProxiedCandidate { cluster, proxy, direct, backend in
                let leaderLease = try await direct.grantLease(ttl: .seconds(60))
                let leader = try await direct.campaign(election: "lost", lease: leaderLease, value: "leader")
                let lease = try await backend.grantLease(ttl: .seconds(60))

                proxy.hold()
                let campaign = Task { try await backend.campaign(election: "lost", lease: lease, value: "b") }
                try await loseTheAnswerOnceKeyExists(proxy, direct: direct, election: "lost", lease: lease)
                let candidacy = try await campaign.value

                let stored = try await direct.candidates(election: "lost")
                #expect(stored.map(\.lease) == [leaderLease, lease], "\(stored)")
                #expect(stored.last == candidacy)
                #expect(stored.first == leader)

                // Campaigning again with the same lease finds the same candidacy.
                #expect(try await backend.campaign(election: "lost", lease: lease, value: "b") == candidacy)
                #expect(try await direct.candidates(election: "lost").count == 2)
                try await direct.revokeLease(leaderLease)
                try await backend.waitUntilLeader(candidacy)
                try await backend.revokeLease(lease)
            }
        }

        @Test("a campaign that lost its transaction's answer and then gives up leaves no candidacy behind")
        func abandonedCampaign() async throws {
            try await withProxiedCandidate { cluster, proxy, direct, backend in
                let leaderLease = try await direct.grantLease(ttl: .seconds(60))
                _ = try await direct.campaign(election: "abandoned", lease: leaderLease, value: "leader")

                // Held from the start: the lease grant's answer and everything else is let
                // through until the candidacy key exists; then its answer is lost.
                proxy.hold()
                let election = Election(
                    name: "abandoned", candidateID: "b", backend: backend, configuration: try .init(leaseTTL: .seconds(5)),
                    logger: TestLogger.make())
                let campaign = Task { try await election.withLeadership { _ in } }
                try await loseTheAnswerOnceKeyExists(proxy, direct: direct, election: "abandoned", lease: nil)

                // The candidate retries and goes on waiting behind the leader (watching its
                // key), with one key: the one whose answer was lost.
                try await waitUntil(timeout: .seconds(30)) { ((try? await cluster.watchers()) ?? 0) >= 1 }
                #expect(election.leadership == nil)
                let candidates = try await direct.candidates(election: "abandoned")
                #expect(candidates.count == 2, "\(candidates)")
                let lease = try #require(candidates.last?.lease)
                #expect(candidates.last?.value == "b")

                // Give up: the candidacy must be gone at once, with its lease.
                campaign.cancel()
                await #expect(throws: CancellationError.self) { try await campaign.value }
                #expect(try await direct.candidates(election: "abandoned").map(\.lease) == [leaderLease])
                #expect(try await direct.remainingTime(of: lease) == nil)
                try await direct.revokeLease(leaderLease)
            }
        }

        /// Runs `body` on a one-member cluster with two backends: `direct` reaches the member
        /// itself, `backend` (the candidate under test) through `proxy`.
        private func withProxiedCandidate(
            _ body: (EtcdCluster, HoldingProxy, EtcdBackend, EtcdBackend) async throws -> Void
        ) async throws {
            try await EtcdCluster.with(members: 1) { cluster in
                let proxy = try HoldingProxy.start(upstreamPort: cluster.members[0].clientPort)
                defer { proxy.stop() }
                let proxied = EtcdConfiguration(endpoints: [.init(host: "127.0.0.1", port: proxy.port)])
                try await EtcdBackend.withBackend(configuration: cluster.configuration(), logger: TestLogger.make()) { direct in
                    try await EtcdBackend.withBackend(configuration: proxied, logger: TestLogger.make()) { backend in
                        try await body(cluster, proxy, direct, backend)
                    }
                }
            }
        }

        /// With `proxy` holding, lets through whatever the member answers until a candidacy key
        /// (of `lease`, or any but the leader's) exists in `election`; then cuts the connection, so
        /// that the answer to the transaction that created it is lost.
        ///
        /// Frames held before a linearizable read that does not see the key were sent before the
        /// key was created, so they cannot hold the answer that creates it: they are let through.
        private func loseTheAnswerOnceKeyExists(_ proxy: HoldingProxy, direct: EtcdBackend, election: String, lease: LeaseID?) async throws
        {
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while true {
                let held = proxy.heldFrames()
                let candidates = try await direct.candidates(election: election)
                if candidates.count >= 2, lease == nil || candidates.contains(where: { $0.lease == lease }) {
                    proxy.cutConnections()
                    return
                }
                proxy.release(frames: held)
                guard clock.now < deadline else { throw TestFailure("no candidacy key appeared in \(election) within 30 s") }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}
