import LeaderElection
import LeaderElectionEtcd
import TestSupport
import Testing

extension EtcdIntegrationTests {
    /// TLS (`etcds://` with a CA, client certificate and key) and username/password authentication
    /// against etcd members configured for them.
    @Suite("etcd TLS and authentication", .serialized, .timeLimit(.minutes(5)))
    struct EtcdSecurityTests {
        @Test("an election over TLS with client certificates, configured by an etcds:// URL")
        func tls() async throws {
            try await EtcdCluster.with(members: 1, tls: true) { cluster in
                let certificates = try #require(cluster.certificates)
                let url = "\(cluster.url)?cacert=\(certificates.ca)&cert=\(certificates.clientCertificate)&key=\(certificates.clientKey)"
                let configuration = try EtcdConfiguration(url: url)
                try await electOnce(configuration, name: "tls")

                // Without the CA the member's certificate is not trusted: requests fail, clearly.
                var untrusted = configuration
                untrusted.tls?.caFile = nil
                untrusted.requestTimeout = .milliseconds(500)
                let error = await #expect(throws: ElectionError.self) {
                    try await EtcdBackend.withBackend(configuration: untrusted, logger: TestLogger.make()) { backend in
                        _ = try await backend.leader(election: "tls")
                    }
                }
                #expect(error?.code == .storeUnavailable)
            }
        }

        @Test("authentication: a token is obtained, sent, and refreshed after it expired")
        func authentication() async throws {
            // Simple tokens expire after 1 s without use.
            try await EtcdCluster.with(
                members: 1, authentication: true, extraArguments: ["--auth-token", "simple", "--auth-token-ttl", "1"]
            ) { cluster in
                var configuration = cluster.configuration()
                configuration.credentials = .init(username: "root", password: "root-secret")
                try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                    #expect(try await backend.leader(election: "auth") == nil)
                    // Let the token expire; the next request must log in again by itself.
                    try await Task.sleep(for: .seconds(3))
                    #expect(try await backend.candidates(election: "auth").isEmpty)
                }
                try await electOnce(configuration, name: "auth")

                var wrong = configuration
                wrong.credentials?.password = "wrong"
                let error = await #expect(throws: ElectionError.self) {
                    try await EtcdBackend.withBackend(configuration: wrong, logger: TestLogger.make()) { backend in
                        _ = try await backend.leader(election: "auth")
                    }
                }
                #expect(error?.message.contains("rejected") == true, "\(String(describing: error))")

                var anonymous = configuration
                anonymous.credentials = nil
                await #expect(throws: ElectionError.self) {
                    try await EtcdBackend.withBackend(configuration: anonymous, logger: TestLogger.make()) { backend in
                        _ = try await backend.leader(election: "auth")
                    }
                }
            }
        }

        /// Simple tokens that expire after 1 s without use; three candidates, each with its own
        /// client, the last one waiting behind the other two far longer than that. Its connection is
        /// cut meanwhile, so that it reopens its streams (keep-alive, watch) with an expired token;
        /// when its turn comes it reads again with an expired token too. It must log in again each
        /// time and be elected.
        @Test("a candidate waiting long behind others logs in again when its token expired, and is elected")
        func longCampaignOutlivesItsToken() async throws {
            try await EtcdCluster.with(
                members: 1, authentication: true, extraArguments: ["--auth-token", "simple", "--auth-token-ttl", "1"]
            ) { cluster in
                var configuration = cluster.configuration()
                configuration.credentials = .init(username: "root", password: "root-secret")
                let proxy = try HoldingProxy.start(upstreamPort: cluster.members[0].clientPort)
                defer { proxy.stop() }
                var proxied = configuration
                proxied.endpoints = [.init(host: "127.0.0.1", port: proxy.port)]
                // Renewals every 2 s: each confirms its Raft term with a read, which uses the token,
                // so the token (1 s) must be able to expire between two of them.
                let electionConfiguration = try Election.Configuration(leaseTTL: .seconds(6))
                let elected = Locked<[String]>([])
                let leaderMayLeave = AsyncGate()
                let thirdLog = Locked<[String]>([])
                func thirdLogins() -> Int { thirdLog.withLock { $0.filter { $0.contains("authenticated to etcd") }.count } }
                try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { first in
                    try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { second in
                        try await EtcdBackend.withBackend(configuration: proxied, logger: RecordingLogHandler.logger(thirdLog)) { third in
                            let elections = [("leader", first), ("middle", second), ("last", third)].map { id, backend in
                                Election(
                                    name: "long", candidateID: id, backend: backend, configuration: electionConfiguration,
                                    logger: TestLogger.make())
                            }
                            try await withThrowingTaskGroup(of: Void.self) { group in
                                for election in elections {
                                    group.addTask {
                                        try await election.withLeadership { leadership in
                                            elected.withLock { $0.append(election.candidateID) }
                                            if election.candidateID == "leader" {
                                                while !leaderMayLeave.isOpen { try await Task.sleep(for: .milliseconds(10)) }
                                            }
                                            try leadership.checkValid()
                                        }
                                    }
                                    // Each joins after the one before, so that they queue in this order.
                                    try await waitUntil(timeout: .seconds(30)) {
                                        (try? await first.candidates(election: "long").count) == elections.firstIndex { $0 === election }!
                                            + 1
                                    }
                                }
                                #expect(elected.withLock { $0 } == ["leader"])
                                // The wait this test is about: long enough for every token to expire.
                                try await Task.sleep(for: .seconds(3))
                                let loginsBeforeTheCut = thirdLogins()
                                proxy.cutConnections()
                                // Back on a watch, after logging in again.
                                try await waitUntil(timeout: .seconds(30)) {
                                    let watchers = (try? await cluster.watchers()) ?? 0
                                    return thirdLogins() > loginsBeforeTheCut && watchers >= 3
                                }
                                // Long enough for the token to expire between two renewals (every
                                // 2 s), whose confirming reads then log in again.
                                let loginsBeforeTheWait = thirdLogins()
                                try await waitUntil(timeout: .seconds(30)) { thirdLogins() > loginsBeforeTheWait }
                                leaderMayLeave.open()
                                try await group.waitForAll()
                            }
                            #expect(elected.withLock { $0 } == ["leader", "middle", "last"])
                        }
                    }
                }
            }
        }

        /// One candidate is elected, renews, is seen as leader, and resigns.
        private func electOnce(_ configuration: EtcdConfiguration, name: String) async throws {
            try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                let election = Election(
                    name: name, candidateID: "secure", backend: backend, configuration: try .init(leaseTTL: .seconds(2)),
                    logger: TestLogger.make())
                let token = try await election.withLeadership { leadership in
                    // Outlive a few renewals over the keep-alive stream.
                    try await Task.sleep(for: .seconds(2))
                    try leadership.checkValid()
                    let leader = try await backend.leader(election: name)
                    #expect(leader?.key == leadership.key)
                    return leadership.token
                }
                #expect(token.rawValue > 0)
                #expect(try await backend.leader(election: name) == nil)
            }
        }
    }
}
