import LeaderElection
import LeaderElectionEtcd
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
                let configuration = try EtcdConfiguration(url: StoreURL(url))
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
            try await EtcdCluster.with(members: 1, authentication: true, extraArguments: ["--auth-token", "simple", "--auth-token-ttl", "1"]) { cluster in
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

        /// One candidate is elected, renews, is seen as leader, and resigns.
        private func electOnce(_ configuration: EtcdConfiguration, name: String) async throws {
            try await EtcdBackend.withBackend(configuration: configuration, logger: TestLogger.make()) { backend in
                let election = Election(name: name, candidateID: "secure", backend: backend, configuration: try .init(leaseTTL: .seconds(2)), logger: TestLogger.make())
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
