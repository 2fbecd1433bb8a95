import LeaderElection
import LeaderElectionZooKeeper
import Testing

extension ZooKeeperIntegrationTests {
    /// A campaign whose create reached the server but whose answer never came back
    /// (``AnswerDroppingProxy``): the candidacy exists, the candidate does not know it.
    @Suite("ZooKeeper campaigns that fail part-way", .serialized, .timeLimit(.minutes(3)))
    struct InterruptedCampaignTests {
        @Test("the next campaign finds the candidacy whose answer was lost instead of making a second one; revoking leaves none")
        func lostCreateAnswer() async throws {
            try await withProxiedBackend { backend, direct, proxy in
                let election = "lost-answer"
                let lease = try await backend.grantLease(ttl: .seconds(10))
                proxy.loseNextCandidacyAnswer()
                await #expect(throws: ElectionError.self) {
                    _ = try await backend.campaign(election: election, lease: lease, value: "swift")
                }
                #expect(proxy.lostAnswers == 1)
                // The create took effect although its answer was lost.
                let orphans = try await direct.candidates(election: election)
                #expect(orphans.map(\.lease) == [lease])

                let candidacy = try await backend.campaign(election: election, lease: lease, value: "swift")
                #expect(candidacy.key == orphans.first?.key)
                #expect(candidacy.token == orphans.first?.token)
                #expect(try await direct.candidates(election: election).count == 1)
                try await backend.waitUntilLeader(candidacy)

                try await backend.revokeLease(lease)
                #expect(try await direct.candidates(election: election).isEmpty)
            }
        }

        @Test("an Election whose first create answer is lost leads with that one candidacy and leaves none behind")
        func electionAfterLostCreateAnswer() async throws {
            try await withProxiedBackend { backend, direct, proxy in
                let name = "lost-answer-election"
                let election = Election(
                    name: name,
                    candidateID: "swift",
                    backend: backend,
                    configuration: try Election.Configuration(leaseTTL: .seconds(3)),
                    logger: TestLogger.make()
                )
                proxy.loseNextCandidacyAnswer()
                let seen = try await election.withLeadership { leadership in
                    (leadership.token, try await direct.candidates(election: name))
                }
                #expect(proxy.lostAnswers == 1)
                #expect(seen.1.map(\.token) == [seen.0], "candidacies while leading: \(seen.1)")
                #expect(try await direct.candidates(election: name).isEmpty)
            }
        }

        /// A one-server ensemble, a backend that reaches it through the proxy, and one that reaches
        /// it directly (to look).
        private func withProxiedBackend(
            _ body: @Sendable (ZooKeeperBackend, ZooKeeperBackend, AnswerDroppingProxy) async throws -> Void
        ) async throws {
            try await ZooKeeperEnsemble.with(servers: 1) { ensemble in
                let server = ensemble.servers[0]
                let proxy = try AnswerDroppingProxy.start(host: server.host, port: server.clientPort)
                defer { proxy.close() }
                let proxied = ZooKeeperConfiguration(endpoints: [.init(host: "127.0.0.1", port: proxy.port)])
                try await ZooKeeperBackend.withBackend(configuration: proxied, logger: TestLogger.make()) { backend in
                    try await ZooKeeperBackend.withBackend(configuration: ensemble.configuration(), logger: TestLogger.make()) { direct in
                        try await body(backend, direct, proxy)
                    }
                }
            }
        }
    }
}
